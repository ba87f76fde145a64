import { Type } from 'typebox';
import { DateTime, Href, Id } from './common.schema.js';

const opt = Type.Optional;

/** One field of an app's input form (seqhub extension: docs/apps.md). */
export const AppInputField = Type.Object({
  Id: Type.String({ description: 'Launch property name is Input.<Id>' }),
  Label: Type.String(),
  Type: Type.String({
    description:
      'sample[] | appresult[] | project | run | genome | string | number | enum | boolean',
  }),
  Required: Type.Boolean(),
  Default: opt(Type.String()),
  Choices: opt(Type.Array(Type.String())),
  Min: opt(Type.Number()),
  Max: opt(Type.Number()),
});

/** ApplicationCompact (spec 2.6). */
export const ApplicationCompact = Type.Object({
  Id,
  Href,
  Name: Type.String(),
  CompanyName: Type.String(),
  VersionNumber: Type.String(),
  HomepageUri: Type.String(),
  ShortDescription: Type.String(),
  DateCreated: DateTime,
  DatePublished: DateTime,
  PublishStatus: Type.String(),
  IsBillingActivated: Type.Boolean(),
  Category: Type.String(),
  Classifications: Type.Array(Type.String()),
  AppFamilySlug: Type.String(),
  AppVersionSlug: Type.String(),
  Features: Type.Array(Type.String()),
  LockStatus: Type.String(),
});

/** Application (spec 2.6) with the hub's form, outputs and resource limits. */
export const Application = Type.Object({
  ...ApplicationCompact.properties,
  LongDescription: Type.String(),
  HrefAppSessions: Href,
  Launchable: Type.Boolean(),
  InputForm: Type.Array(AppInputField),
  Outputs: Type.Array(Type.String()),
  Resources: Type.Object({
    TimeLimitSeconds: Type.Integer(),
    MemoryMb: Type.Integer(),
    Threads: Type.Integer(),
  }),
});

/** Application ids are numbers; slugs (`fastq-qc`) work too. */
export const ApplicationParams = Type.Object({
  id: Type.String({ maxLength: 64, description: 'Application id or slug' }),
});

/** The launch JSON (spec 4.7); checked against the app's form by the service. */
export const LaunchBody = Type.Object(
  {
    Name: opt(Type.String({ maxLength: 255 })),
    StatusSummary: opt(Type.String()),
    AutoStart: opt(Type.Boolean()),
    AgentId: opt(Type.String()),
    Properties: opt(
      Type.Array(
        Type.Object(
          {
            Name: Type.String(),
            Type: Type.String(),
            Content: opt(Type.Unknown()),
            Items: opt(Type.Array(Type.Unknown())),
          },
          { additionalProperties: true },
        ),
      ),
    ),
  },
  { additionalProperties: true },
);

export const LogQuery = Type.Object({
  Offset: opt(Type.Integer({ minimum: 0, maximum: 2 ** 31, description: 'First line (0-based)' })),
});
