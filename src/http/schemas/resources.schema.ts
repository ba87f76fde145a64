import { Type } from 'typebox';
import { DateTime, Href, Id } from './common.schema.js';

/** Wire shapes of the v1pre3 resources (spec 2). Optional fields are omitted, never null. */
const opt = Type.Optional;

export const Property = Type.Object({
  Type: Type.String({ description: 'Lower-case type name, e.g. string, sample[], map' }),
  Href: Href,
  Name: Type.String(),
  Description: Type.String(),
  Content: opt(Type.Unknown()),
  Items: opt(Type.Array(Type.Unknown())),
  HrefItems: opt(Href),
  ItemsDisplayedCount: opt(Type.Integer()),
  ItemsTotalCount: opt(Type.Integer()),
  DateModified: opt(DateTime),
});

export const PropertyContainer = Type.Object({
  Items: Type.Array(Property),
  DisplayedCount: Type.Integer(),
  TotalCount: Type.Integer(),
  Href: Href,
});

export const UserCompact = Type.Object({
  Id,
  Href,
  Name: Type.String(),
  GravatarUrl: opt(Type.String()),
  DateCreated: opt(DateTime),
});

export const User = Type.Object({
  Id,
  Href,
  Name: Type.String(),
  Email: Type.String(),
  GravatarUrl: Type.String(),
  DateCreated: DateTime,
  DateLastActive: DateTime,
  HrefRuns: Href,
  HrefProjects: Href,
});

export const ProjectCompact = Type.Object({
  Id,
  Href,
  Name: Type.String(),
  Description: opt(Type.String()),
  UserOwnedBy: UserCompact,
  DateCreated: DateTime,
  DateModified: opt(DateTime),
  HasCollaborators: opt(Type.Boolean()),
  TotalSize: opt(Type.Integer()),
});

export const Project = Type.Object({
  ...ProjectCompact.properties,
  HrefSamples: Href,
  HrefAppResults: Href,
  HrefBaseSpaceUI: Type.String(),
  Properties: opt(PropertyContainer),
});

export const ApplicationCompact = Type.Object({
  Id,
  Href,
  Name: Type.String(),
});

export const AppSessionCompact = Type.Object({
  Id,
  Href,
  Name: Type.String(),
  Application: ApplicationCompact,
  UserCreatedBy: UserCompact,
  Status: Type.String(),
  StatusSummary: Type.String(),
  DateCreated: DateTime,
  ModifiedOn: DateTime,
  DateCompleted: opt(DateTime),
  TotalSize: Type.Integer(),
  QcStatus: opt(Type.String()),
});

export const Reference = Type.Object({
  Rel: Type.String(),
  Type: Type.String(),
  Href: Href,
  HrefContent: Href,
  Content: opt(Type.Unknown()),
});

export const AppSession = Type.Object({
  ...AppSessionCompact.properties,
  OriginatingUri: opt(Type.String()),
  References: Type.Array(Reference),
  HrefAppResults: Href,
  RunningDuration: opt(Type.Integer()),
  Properties: opt(PropertyContainer),
});

export const AppResultCompact = Type.Object({
  Id,
  Href,
  Name: Type.String(),
  Status: Type.String(),
  StatusSummary: Type.String(),
  DateCreated: DateTime,
  UserOwnedBy: UserCompact,
  TotalSize: Type.Integer(),
  AppSession: opt(AppSessionCompact),
});

export const AppResult = Type.Object({
  ...AppResultCompact.properties,
  Description: Type.String(),
  HrefFiles: Href,
  HrefGenome: opt(Href),
  References: Type.Array(Reference),
  Projects: opt(Type.Array(ProjectCompact)),
  Properties: opt(PropertyContainer),
});

export const SampleCompact = Type.Object({
  Id,
  Href,
  Name: Type.String(),
  SampleId: Type.String(),
  Status: Type.String(),
  StatusSummary: Type.String(),
  DateCreated: DateTime,
  UserOwnedBy: UserCompact,
  TotalSize: Type.Integer(),
  References: opt(Type.Array(Reference)),
});

export const Sample = Type.Object({
  ...SampleCompact.properties,
  Description: opt(Type.String()),
  HrefGenome: opt(Href),
  SampleNumber: opt(Type.Integer()),
  ExperimentName: opt(Type.String()),
  HrefFiles: Href,
  AppSession: AppSessionCompact,
  IsPairedEnd: opt(Type.Boolean()),
  Read1: opt(Type.Integer()),
  Read2: opt(Type.Integer()),
  NumReadsRaw: opt(Type.Integer()),
  NumReadsPF: opt(Type.Integer()),
  Projects: Type.Array(ProjectCompact),
  Properties: opt(PropertyContainer),
});

export const RunCompact = Type.Object({
  Id,
  Href,
  Name: Type.String(),
  Number: opt(Type.Integer()),
  ExperimentName: Type.String(),
  Status: Type.String(),
  DateCreated: DateTime,
  DateModified: DateTime,
  UserOwnedBy: UserCompact,
  ReagentBarcode: opt(Type.String()),
  FlowcellBarcode: opt(Type.String()),
  TotalSize: Type.Integer(),
  PlatformName: opt(Type.String()),
  NumCyclesRead1: opt(Type.Integer()),
  NumCyclesRead2: opt(Type.Integer()),
  NumCyclesIndex1: opt(Type.Integer()),
  NumCyclesIndex2: opt(Type.Integer()),
});

export const Run = Type.Object({
  ...RunCompact.properties,
  HrefFiles: Href,
  HrefSamples: Href,
  HrefBaseSpaceUI: Type.String(),
  UserUploadedBy: UserCompact,
  DateUploadStarted: opt(DateTime),
  DateUploadCompleted: opt(DateTime),
  Workflow: opt(Type.String()),
  InstrumentName: opt(Type.String()),
  InstrumentType: opt(Type.String()),
  InstrumentSerialNumber: opt(Type.String()),
  HrefSequencingStats: Href,
  SampleSheetName: opt(Type.String({ description: 'seqhub extension' })),
  LibraryCount: opt(Type.Integer()),
  RunFolder: opt(Type.String({ description: 'seqhub extension: the RunInfo run id' })),
  RunDate: opt(Type.String({ description: 'seqhub extension: RunInfo date, ISO 8601' })),
  ReadStructure: opt(Type.String({ description: 'seqhub extension: e.g. Y151,I8,I8,Y151' })),
  Reads: opt(
    Type.Array(
      Type.Object({
        Number: Type.Integer(),
        NumCycles: Type.Integer(),
        IsIndexed: Type.Boolean(),
        IsReverseComplement: Type.Boolean(),
      }),
      { description: 'seqhub extension: RunInfo reads' },
    ),
  ),
  TotalCycles: opt(Type.Integer()),
  NumLanes: opt(Type.Integer()),
  NumSurfaces: opt(Type.Integer()),
  NumSwathsPerLane: opt(Type.Integer()),
  NumTilesPerSwath: opt(Type.Integer()),
  NumTiles: opt(Type.Integer()),
  Chemistry: opt(Type.String()),
  RtaVersion: opt(Type.String()),
  I5Orientation: opt(Type.String({ description: 'A (forward i5) or B (reverse-complement i5)' })),
  Properties: opt(PropertyContainer),
});

export const Genome = Type.Object({
  Id,
  Href,
  SpeciesName: Type.String(),
  Source: Type.String(),
  Build: Type.String(),
  DisplayName: Type.String(),
  HasSequence: Type.Boolean({
    description: 'seqhub: the sequence is registered and indexed, so apps can align to it',
  }),
  SequenceStatus: opt(Type.String({ description: 'seqhub: indexing | ready | failed' })),
});

export const File = Type.Object({
  Id,
  Href,
  Name: Type.String(),
  ContentType: Type.String(),
  Size: Type.Integer(),
  Path: Type.String(),
  DateCreated: DateTime,
  UploadStatus: Type.String({ description: 'pending | complete | aborted' }),
  HrefContent: Href,
  HrefParts: opt(Href),
  ETag: opt(Type.String({ description: 'MD5 of the content, hex (seqhub extension)' })),
  Sha256: opt(Type.String({ description: 'SHA-256 of the content, hex (seqhub extension)' })),
  Crc32: opt(
    Type.String({
      description:
        'CRC-32 of the content (as zlib/gzip), 8 hex digits; absent on files stored before seqhub kept it (seqhub extension)',
    }),
  ),
  HrefVariants: opt(Href),
  HrefCoverage: opt(Href),
  IndexStatus: opt(
    Type.String({
      description: 'VCF/BAM only: pending | ready | failed (seqhub extension, issue 7)',
    }),
  ),
  IndexMessage: opt(Type.String({ description: 'Why indexing failed (seqhub extension)' })),
  Properties: opt(PropertyContainer),
});

export const FilePart = Type.Object({
  Number: Type.Integer(),
  ETag: Type.String({ description: 'MD5 of the part, hex' }),
  Size: Type.Integer(),
  DateCreated: opt(DateTime),
});

export const ContentMeta = Type.Object({
  HrefContent: Type.String({ description: 'Absolute URL that needs no auth header until Expires' }),
  Expires: DateTime,
  SupportsRange: Type.Boolean(),
});
