import type { AppSessionStatus } from './appsession-status.js';

/** Entities as the services see them: camelCase, ids as decimal strings, dates as ms ISO strings. */
export interface User {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
  createdAt: string;
  lastActiveAt: string;
}

/** The owner as embedded in responses (UserCompact). */
export interface UserRef {
  id: string;
  name: string;
  email: string;
}

export interface Project {
  id: string;
  ownerId: string;
  owner: UserRef;
  name: string;
  description: string;
  createdAt: string;
  modifiedAt: string;
  totalSize: number;
  /** Shared with anyone (issue 4). */
  hasCollaborators: boolean;
}

export interface ApplicationRef {
  id: string;
  name: string;
}

export interface AppSession {
  id: string;
  ownerId: string;
  owner: UserRef;
  applicationId: string;
  name: string;
  status: AppSessionStatus;
  statusSummary: string;
  /** The project its results were written to: the scope that governs it. */
  projectId: string | undefined;
  createdAt: string;
  modifiedAt: string;
  completedAt: string | undefined;
  totalSize: number;
}

/** A link from a Sample/AppResult to another resource (spec 2.8), stored as kind + id. */
export interface ResourceReference {
  rel: string;
  kind: 'sample' | 'appresult' | 'project' | 'run' | 'file';
  id: string;
}

/** Status fields a Sample or AppResult inherits from its AppSession. */
export interface InheritedStatus {
  status: AppSessionStatus;
  statusSummary: string;
}

export interface AppResult extends InheritedStatus {
  id: string;
  projectId: string;
  ownerId: string;
  owner: UserRef;
  appSessionId: string;
  name: string;
  description: string;
  genomeId: string | undefined;
  references: ResourceReference[];
  createdAt: string;
  modifiedAt: string;
  totalSize: number;
}

export interface Sample extends InheritedStatus {
  id: string;
  projectId: string;
  ownerId: string;
  owner: UserRef;
  appSessionId: string;
  runId: string | undefined;
  name: string;
  description: string;
  sampleId: string;
  sampleNumber: number | undefined;
  experimentName: string | undefined;
  numReadsRaw: number | undefined;
  numReadsPF: number | undefined;
  read1: number | undefined;
  read2: number | undefined;
  isPairedEnd: boolean | undefined;
  genomeId: string | undefined;
  references: ResourceReference[];
  createdAt: string;
  modifiedAt: string;
  totalSize: number;
}

export interface Run {
  id: string;
  ownerId: string;
  owner: UserRef;
  name: string;
  experimentName: string;
  number: number | undefined;
  status: string;
  platformName: string | undefined;
  instrumentName: string | undefined;
  instrumentType: string | undefined;
  instrumentSerialNumber: string | undefined;
  flowcellBarcode: string | undefined;
  reagentBarcode: string | undefined;
  workflow: string | undefined;
  numCyclesRead1: number | undefined;
  numCyclesRead2: number | undefined;
  numCyclesIndex1: number | undefined;
  numCyclesIndex2: number | undefined;
  createdAt: string;
  modifiedAt: string;
  uploadStartedAt: string | undefined;
  uploadCompletedAt: string | undefined;
  totalSize: number;
  /** What the run folder's RunInfo, RunParameters and sample sheet say (after ingest). */
  details: RunDetails | undefined;
}

/** A run's read as RunInfo lists it (1-based number). */
export interface RunReadInfo {
  number: number;
  cycles: number;
  isIndexed: boolean;
  isReverseComplement: boolean;
}

/** The run-folder facts kept on a Run (migration 0009). */
export interface RunDetails {
  runFolder: string | undefined;
  runDate: string | undefined;
  reads: RunReadInfo[];
  totalCycles: number;
  lanes: number | undefined;
  surfaces: number | undefined;
  swathsPerLane: number | undefined;
  tilesPerSwath: number | undefined;
  tileCount: number | undefined;
  chemistry: string | undefined;
  rtaVersion: string | undefined;
  applicationName: string | undefined;
  applicationVersion: string | undefined;
  /** `A` forward-strand i5, `B` reverse-complement i5 (RunParameters/instrument). */
  i5Orientation: 'A' | 'B' | undefined;
  sampleSheetName: string | undefined;
  sampleSheetVersion: 1 | 2 | undefined;
  libraryCount: number | undefined;
  /** InterOp files whose metrics were read. */
  metricsFiles: string[];
}

/**
 * A run whose folder is being copied in by `seqhub admin run import`: invisible (reads as 404 and
 * is left out of lists) until the import's last transaction makes it `Complete`.
 */
export const RUN_IMPORTING = 'Importing';

/** Run statuses (spec 2.3). */
export const RunStatuses = [
  'New',
  'Ready',
  'Running',
  'Paused',
  'Stopped',
  'Uploading',
  'PendingAnalysis',
  'Analyzing',
  'Complete',
  'Failed',
  'NeedsAttention',
] as const;

export interface Genome {
  id: string;
  speciesName: string;
  source: string;
  build: string;
  displayName: string;
  /** Its sequence (issue 12), when one was registered: usable by apps once `ready`. */
  sequence?: GenomeSequence | undefined;
}

export type GenomeSequenceStatus = 'indexing' | 'ready' | 'failed';

export interface GenomeSequence {
  status: GenomeSequenceStatus;
  /** Blob key prefix: `genome.fa`, `genome.fa.fai`, `genome.mmi` below it. */
  key: string;
  message: string | undefined;
}

export interface AccessToken {
  id: string;
  userId: string;
  scope: string;
  createdAt: string;
  /** The OAuth client (row id) that obtained it; undefined for tokens made by an admin. */
  clientRef?: string | undefined;
  /** When it stops working; undefined: never (admin-made tokens, spec 1.2). */
  expiresAt?: string | undefined;
}
