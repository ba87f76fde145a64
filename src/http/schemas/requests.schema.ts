import { Type } from 'typebox';
import { MAX_NAME_LENGTH, MAX_TEXT_LENGTH } from '../../domain/index.js';

/**
 * Request bodies. Key names are matched case-insensitively (http/plugins/case-insensitive.ts);
 * unknown keys are ignored, since SDKs send extras (HrefAppSessionChild...). Types are strict.
 */
const opt = Type.Optional;
const Name = Type.String({ maxLength: MAX_NAME_LENGTH * 4 });
const Text = Type.String({ maxLength: MAX_TEXT_LENGTH * 4 });
/** Read counts are int64 in BaseSpace; JSON numbers are exact up to 2^53, which no run reaches. */
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const CreateProjectBody = Type.Object({ Name: Name, Description: opt(Text) });

export const ReferenceBody = Type.Object({
  Rel: opt(Type.String({ maxLength: 64 })),
  Type: opt(Type.String({ maxLength: 64 })),
  HrefContent: Type.String({ maxLength: 256 }),
});

export const CreateAppResultBody = Type.Object({
  Name: Name,
  Description: opt(Text),
  HrefAppSession: opt(Type.String({ maxLength: 256 })),
  HrefGenome: opt(Type.String({ maxLength: 256 })),
  References: opt(Type.Array(ReferenceBody, { maxItems: 1000 })),
});

export const CreateSampleBody = Type.Object({
  Name: Name,
  Description: opt(Text),
  SampleId: opt(Name),
  SampleNumber: opt(Type.Integer({ minimum: 0, maximum: 2147483647 })),
  ExperimentName: opt(Name),
  NumReadsRaw: opt(Count),
  NumReadsPF: opt(Count),
  Read1: opt(Type.Integer({ minimum: 0, maximum: 1000000 })),
  Read2: opt(Type.Integer({ minimum: 0, maximum: 1000000 })),
  IsPairedEnd: opt(Type.Boolean()),
  HrefGenome: opt(Type.String({ maxLength: 256 })),
  HrefAppSession: opt(Type.String({ maxLength: 256 })),
  References: opt(Type.Array(ReferenceBody, { maxItems: 1000 })),
});

export const UpdateAppSessionBody = Type.Object({
  Status: opt(Type.String({ maxLength: 64 })),
  StatusSummary: opt(Text),
});

export const AppSessionIdQuery = Type.Object({
  appsessionid: opt(Type.String({ maxLength: 64 })),
});
