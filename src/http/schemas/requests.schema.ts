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

/** Largest sample sheet a demultiplexing request may carry (a 384-sample v2 sheet is ~40 KB). */
const MAX_SAMPLE_SHEET_CHARS = 512 * 1024;

/** `POST runs/{id}/demultiplex` (issue 6). */
export const DemultiplexBody = Type.Object({
  ProjectId: Type.Union([Type.String({ maxLength: 32 }), Type.Integer({ minimum: 1 })], {
    description: 'The project the Samples and the AppSession go to (write access needed)',
  }),
  SampleSheet: opt(
    Type.String({
      maxLength: MAX_SAMPLE_SHEET_CHARS,
      description: "CSV text (v1 or v2) replacing the run's own SampleSheet.csv",
    }),
  ),
  WithFailedReads: opt(
    Type.Boolean({ description: 'Keep clusters failing the chastity filter (flagged Y)' }),
  ),
  BarcodeMismatchesIndex1: opt(Type.Integer({ minimum: 0, maximum: 2 })),
  BarcodeMismatchesIndex2: opt(Type.Integer({ minimum: 0, maximum: 2 })),
});
