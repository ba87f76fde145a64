import { createHash } from 'node:crypto';
import {
  API_VERSION,
  genomicKindOf,
  applicationById,
  formatBaseSpaceDate as date,
  href,
  type AppResult,
  type AppSession,
  type FilePart,
  type FileRecord,
  type Genome,
  type Project,
  type Run,
  type Sample,
  type User,
  type UserRef,
} from '../../domain/index.js';
import type { ExpandedReference } from '../../services/index.js';
import type { PresentContext } from './context.js';

/**
 * Domain -> BaseSpace wire JSON (PascalCase, relative hrefs, 7-digit dates). Fields with no value
 * are left out, never null: the Python SDK crashes on null numbers and dates.
 */

/**
 * Gravatar URLs are an MD5 of the email, and a list page repeats one owner on every item: the
 * URLs are remembered per email (bounded, cleared when full). bench/samples-pages profile of the
 * served hub: crypto Hash + digest went from 0.9% to 0.2% of its samples (what is left is the
 * token's SHA-256, once per request).
 */
const GRAVATAR_MEMO_LIMIT = 1000;
const gravatarMemo = new Map<string, string>();
const gravatar = (email: string) => {
  let url = gravatarMemo.get(email);
  if (url === undefined) {
    url = `https://secure.gravatar.com/avatar/${createHash('md5').update(email).digest('hex')}.jpg?d=mm`;
    if (gravatarMemo.size >= GRAVATAR_MEMO_LIMIT) gravatarMemo.clear();
    gravatarMemo.set(email, url);
  }
  return url;
};

/** URL-friendly project/run name for HrefBaseSpaceUI, as BaseSpace writes it (`My-New-Project`). */
const slug = (name: string) => encodeURIComponent(name.trim().replace(/\s+/g, '-'));

export const userCompact = (u: UserRef) => ({
  Id: u.id,
  Href: href('user', u.id),
  Name: u.name,
  GravatarUrl: gravatar(u.email),
});

export const user = (u: User) => ({
  Id: u.id,
  Href: href('user', u.id),
  Name: u.name,
  Email: u.email,
  GravatarUrl: gravatar(u.email),
  DateCreated: date(u.createdAt),
  DateLastActive: date(u.lastActiveAt),
  HrefRuns: href('user', u.id, 'runs'),
  HrefProjects: href('user', u.id, 'projects'),
});

export const projectCompact = (p: Project) => ({
  Id: p.id,
  Href: href('project', p.id),
  Name: p.name,
  Description: p.description,
  UserOwnedBy: userCompact(p.owner),
  DateCreated: date(p.createdAt),
  DateModified: date(p.modifiedAt),
  HasCollaborators: p.hasCollaborators,
  TotalSize: p.totalSize,
});

export const project = (p: Project, ctx: PresentContext) => ({
  ...projectCompact(p),
  HrefSamples: href('project', p.id, 'samples'),
  HrefAppResults: href('project', p.id, 'appresults'),
  HrefBaseSpaceUI: `${ctx.origin}/project/${p.id}/${slug(p.name)}`,
});

export const appSessionCompact = (s: AppSession) => {
  const app = applicationById(s.applicationId);
  return {
    Id: s.id,
    Href: href('appsession', s.id),
    Name: s.name,
    Application: { Id: app.id, Href: href('application', app.id), Name: app.name },
    UserCreatedBy: userCompact(s.owner),
    Status: s.status,
    StatusSummary: s.statusSummary,
    DateCreated: date(s.createdAt),
    ModifiedOn: date(s.modifiedAt),
    ...(s.completedAt && { DateCompleted: date(s.completedAt) }),
    TotalSize: s.totalSize,
    QcStatus: 'Undefined',
  };
};

export const appSession = (
  s: AppSession,
  references: readonly ExpandedReference[],
  ctx: PresentContext,
) => ({
  ...appSessionCompact(s),
  OriginatingUri: ctx.origin,
  References: references.map(reference),
  HrefAppResults: href('appsession', s.id, 'appresults'),
  RunningDuration: Math.max(
    0,
    Math.round(
      (Date.parse(s.completedAt ?? new Date().toISOString()) - Date.parse(s.createdAt)) / 1000,
    ),
  ),
});

export const appResultCompact = (r: AppResult, session?: AppSession) => ({
  Id: r.id,
  Href: href('appresult', r.id),
  Name: r.name,
  Status: r.status,
  StatusSummary: r.statusSummary,
  DateCreated: date(r.createdAt),
  UserOwnedBy: userCompact(r.owner),
  TotalSize: r.totalSize,
  ...(session && { AppSession: appSessionCompact(session) }),
});

export const appResult = (
  r: AppResult,
  session: AppSession,
  references: readonly ExpandedReference[],
  projects: readonly Project[],
) => ({
  ...appResultCompact(r, session),
  Description: r.description,
  HrefFiles: href('appresult', r.id, 'files'),
  ...(r.genomeId && { HrefGenome: href('genome', r.genomeId) }),
  References: references.map(reference),
  Projects: projects.map(projectCompact),
});

export const sampleCompact = (s: Sample) => ({
  Id: s.id,
  Href: href('sample', s.id),
  Name: s.name,
  SampleId: s.sampleId,
  Status: s.status,
  StatusSummary: s.statusSummary,
  DateCreated: date(s.createdAt),
  UserOwnedBy: userCompact(s.owner),
  TotalSize: s.totalSize,
});

export const sample = (
  s: Sample,
  session: AppSession,
  references: readonly ExpandedReference[],
  projects: readonly Project[],
) => ({
  ...sampleCompact(s),
  References: references.map(reference),
  Description: s.description,
  ...(s.genomeId && { HrefGenome: href('genome', s.genomeId) }),
  SampleNumber: s.sampleNumber,
  ExperimentName: s.experimentName,
  HrefFiles: href('sample', s.id, 'files'),
  AppSession: appSessionCompact(session),
  IsPairedEnd: s.isPairedEnd,
  Read1: s.read1,
  Read2: s.read2,
  NumReadsRaw: s.numReadsRaw,
  NumReadsPF: s.numReadsPF,
  Projects: projects.map(projectCompact),
});

export const runCompact = (r: Run) => ({
  Id: r.id,
  Href: href('run', r.id),
  Name: r.name,
  Number: r.number,
  ExperimentName: r.experimentName,
  Status: r.status,
  DateCreated: date(r.createdAt),
  DateModified: date(r.modifiedAt),
  UserOwnedBy: userCompact(r.owner),
  ReagentBarcode: r.reagentBarcode,
  FlowcellBarcode: r.flowcellBarcode,
  TotalSize: r.totalSize,
  PlatformName: r.platformName,
  NumCyclesRead1: r.numCyclesRead1,
  NumCyclesRead2: r.numCyclesRead2,
  NumCyclesIndex1: r.numCyclesIndex1,
  NumCyclesIndex2: r.numCyclesIndex2,
});

export const run = (r: Run, ctx: PresentContext) => ({
  ...runCompact(r),
  HrefFiles: href('run', r.id, 'files'),
  HrefSamples: href('run', r.id, 'samples'),
  HrefBaseSpaceUI: `${ctx.origin}/run/${r.id}/${slug(r.experimentName || r.name)}`,
  UserUploadedBy: userCompact(r.owner),
  ...(r.uploadStartedAt && { DateUploadStarted: date(r.uploadStartedAt) }),
  ...(r.uploadCompletedAt && { DateUploadCompleted: date(r.uploadCompletedAt) }),
  Workflow: r.workflow,
  InstrumentName: r.instrumentName,
  InstrumentType: r.instrumentType,
  InstrumentSerialNumber: r.instrumentSerialNumber,
  HrefSequencingStats: href('run', r.id, 'sequencingstats'),
  ...(r.details && runDetails(r.details)),
});

/** seqhub extensions from the run folder (RunInfo, RunParameters, sample sheet). */
const runDetails = (d: NonNullable<Run['details']>) => ({
  SampleSheetName: d.sampleSheetName,
  LibraryCount: d.libraryCount,
  RunFolder: d.runFolder,
  ...(d.runDate && { RunDate: d.runDate }),
  // bcl2fastq --use-bases-mask form: Y151,I8,I8,Y151
  ReadStructure: d.reads.map((x) => `${x.isIndexed ? 'I' : 'Y'}${x.cycles}`).join(','),
  Reads: d.reads.map((x) => ({
    Number: x.number,
    NumCycles: x.cycles,
    IsIndexed: x.isIndexed,
    IsReverseComplement: x.isReverseComplement,
  })),
  TotalCycles: d.totalCycles,
  NumLanes: d.lanes,
  NumSurfaces: d.surfaces,
  NumSwathsPerLane: d.swathsPerLane,
  NumTilesPerSwath: d.tilesPerSwath,
  NumTiles: d.tileCount,
  Chemistry: d.chemistry,
  RtaVersion: d.rtaVersion,
  I5Orientation: d.i5Orientation,
});

export const genome = (g: Genome) => ({
  Id: g.id,
  Href: href('genome', g.id),
  SpeciesName: g.speciesName,
  Source: g.source,
  Build: g.build,
  DisplayName: g.displayName,
  HasSequence: g.sequence?.status === 'ready',
  ...(g.sequence && { SequenceStatus: g.sequence.status }),
});

const REFERENCE_TYPE = {
  sample: 'Sample',
  appresult: 'AppResult',
  project: 'Project',
  run: 'Run',
  file: 'File',
} as const;

/** A Reference (spec 2.8); Content is left out when the caller can no longer see the target. */
export const reference = (e: ExpandedReference) => ({
  Rel: e.ref.rel,
  Type: REFERENCE_TYPE[e.ref.kind],
  Href: href(e.ref.kind, e.ref.id),
  HrefContent: href(e.ref.kind, e.ref.id),
  ...(e.content && { Content: referenceContent(e) }),
});

function referenceContent(e: ExpandedReference): unknown {
  switch (e.content?.kind) {
    case 'sample':
      return sampleCompact(e.content.value);
    case 'appresult':
      return appResultCompact(e.content.value);
    case 'project':
      return projectCompact(e.content.value);
    case 'run':
      return runCompact(e.content.value);
    default:
      return undefined;
  }
}

export const file = (f: FileRecord) => ({
  Id: f.id,
  Href: href('file', f.id),
  Name: f.name,
  ContentType: f.contentType,
  Size: f.size,
  Path: f.path,
  DateCreated: date(f.createdAt),
  UploadStatus: f.uploadStatus === 'assembling' ? 'pending' : f.uploadStatus,
  HrefContent: href('file', f.id, 'content'),
  ...(f.multipart && f.uploadStatus !== 'complete' && { HrefParts: href('file', f.id, 'parts') }),
  ...(f.md5 && { ETag: f.md5 }),
  ...(f.sha256 && { Sha256: f.sha256 }),
  ...(f.crc32 && { Crc32: f.crc32 }),
  ...genomicHrefs(f),
});

/**
 * VCF/BAM files (issue 7): `HrefVariants`/`HrefCoverage` only once indexing is ready (spec 2.9:
 * absent when BaseSpace failed to index the file), and the indexing state as an extension.
 */
function genomicHrefs(f: FileRecord) {
  if (f.indexStatus === undefined) return {};
  const kind = genomicKindOf(f.name);
  const ready = f.indexStatus === 'ready';
  return {
    ...(ready && kind === 'vcf' && { HrefVariants: `${API_VERSION}/variantset/${f.id}` }),
    ...(ready && kind === 'bam' && { HrefCoverage: `${API_VERSION}/coverage/${f.id}` }),
    IndexStatus: f.indexStatus,
    ...(f.indexMessage && { IndexMessage: f.indexMessage }),
  };
}

export const filePart = (p: FilePart) => ({
  Number: p.number,
  ETag: p.md5,
  Size: p.size,
  DateCreated: date(p.createdAt),
});

export { date };
