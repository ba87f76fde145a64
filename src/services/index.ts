import type { BlobStore, Clock, JobQueue, Repositories } from '../ports.js';
import { AccessService } from './access.service.js';
import { AppService } from './app.service.js';
import { AppResultService } from './appresult.service.js';
import { AppSessionService } from './appsession.service.js';
import { AuthService } from './auth.service.js';
import { DemuxService } from './demux.service.js';
import { DrsService } from './drs.service.js';
import { FileService, type FileServiceOptions } from './file.service.js';
import { GenomicsService } from './genomics/genomics.service.js';
import { GenomicsIndexer } from './genomics/index-file.js';
import { HtsgetService } from './genomics/htsget.service.js';
import { GenomeService } from './genome.service.js';
import { ProjectService } from './project.service.js';
import { PropertyService } from './property.service.js';
import { RunService } from './run.service.js';
import { SampleService } from './sample.service.js';
import { SearchService } from './search.service.js';
import { SharingService } from './sharing.service.js';
import { UserService } from './user.service.js';
import { FailureLimiter } from './failure-limiter.js';
import {
  DEFAULT_OAUTH_OPTIONS,
  OAuthService,
  type AuditSink,
  type OAuthOptions,
} from './oauth.service.js';
import { DEFAULT_SESSION_TTL_SECONDS, WebAuthService } from './web-auth.service.js';

export type { Principal } from './principal.js';
export { hashToken } from './auth.service.js';
export { AuthorizeError, formatUserCode, normalizeUserCode } from './oauth.service.js';
export type { AuditSink, AuthorizeRequest, OAuthOptions, TokenRequest } from './oauth.service.js';
export { FAILURE_RULES } from './failure-limiter.js';
export type { FileServiceOptions } from './file.service.js';
export type { CoverageAnswer, GenomicFile, VariantPage } from './genomics/genomics.service.js';
export { MAX_VARIANT_PAGE } from './genomics/genomics.service.js';
export { BufferPool } from './genomics/buffer-pool.js';
export { DRS_ACCESS_ID } from './drs.service.js';
export { UI_TOKEN_TTL_SECONDS } from './web-auth.service.js';
export { HtsgetError, HtsgetErrors, asHtsget } from './genomics/htsget.service.js';
export type { HtsgetRequest, HtsgetTicket } from './genomics/htsget.service.js';
export type { PropertyView, ReferencedObject, ResolvedRef } from './property.service.js';
export type { NewAppResultInput } from './appresult.service.js';
export type { NewSampleInput } from './sample.service.js';
export type { ExpandedReference, ReferenceInput, ReferencedContent } from './references.js';
export type { AppResultView } from './appresult.service.js';
export type { SampleView } from './sample.service.js';
export type { SearchItem } from './search.service.js';
export type { UserSelector } from './sharing.service.js';
export type { RunFolderSource } from './run.service.js';
export { INDEX_FILE_JOB, type IndexFilePayload } from './genomics/index-file.js';
export { DEMUX_JOB, type DemuxJobPayload, type DemuxRequestInput } from './demux.service.js';
export { APP_RUN_JOB, FASTQ_NAME, type AppRunPayload } from './app.service.js';
export { GENOME_FILES, GENOME_INDEX_JOB, type GenomeIndexPayload } from './genome.service.js';
export { ChecksumStream, copied } from './checksums.js';

export interface Services {
  auth: AuthService;
  users: UserService;
  projects: ProjectService;
  appSessions: AppSessionService;
  appResults: AppResultService;
  samples: SampleService;
  runs: RunService;
  genomes: GenomeService;
  files: FileService;
  properties: PropertyService;
  search: SearchService;
  oauth: OAuthService;
  web: WebAuthService;
  sharing: SharingService;
  demux: DemuxService;
  apps: AppService;
  genomics: GenomicsService;
  htsget: HtsgetService;
  /** GA4GH DRS 1.4 over complete files (issue 7). */
  drs: DrsService;
  /** Indexes VCF/BAM uploads in the background (issue 7); stop it before closing the database. */
  indexer: GenomicsIndexer;
}

/** Lifetimes of OAuth grants and browser sessions, and where audit events go. */
export interface AuthOptions {
  oauth?: OAuthOptions;
  sessionTtlSeconds?: number;
  /** Bad tokens, client secrets and codes one address may present per window (default 20). */
  tokenFailuresPerIp?: number;
  audit?: AuditSink;
}

/**
 * OAuth grants and revocations go to the audit log (issue 4): the sink's event in the log's
 * shape. Details keep only scalar facts (scopes, client ids), never secrets.
 */
function auditLogSink(repos: Repositories): AuditSink {
  return {
    record: (event) =>
      repos.audit.record({
        actor: event.actorUserId ? { kind: 'user', id: event.actorUserId } : { kind: 'system' },
        action: event.action,
        target: { kind: event.targetKind, id: event.targetId },
        clientIp: event.ip,
        details: Object.fromEntries(
          Object.entries(event.detail).filter(
            (entry): entry is [string, string | number | boolean] =>
              ['string', 'number', 'boolean'].includes(typeof entry[1]),
          ),
        ),
      }),
  };
}

export function createServices(
  repos: Repositories,
  clock: Clock,
  storage: {
    blobs: BlobStore;
    files: FileServiceOptions;
    /** Where background work reports what went wrong (the server's logger). */
    log?: (message: string, error?: unknown) => void;
  },
  authOptions: AuthOptions = {},
  queue: JobQueue = noQueue,
): Services {
  const access = new AccessService(repos, clock);
  const limiter = new FailureLimiter(
    clock,
    authOptions.tokenFailuresPerIp === undefined
      ? {}
      : { 'token-ip': authOptions.tokenFailuresPerIp },
  );
  const auth = new AuthService(repos, clock, limiter);
  const indexer = new GenomicsIndexer(repos, storage.blobs, queue, storage.log);
  const files = new FileService(repos, access, storage.blobs, clock, storage.files, {
    onFileCompleted: indexer.onFileCompleted,
  });
  const genomics = new GenomicsService(access, storage.blobs);
  const demux = new DemuxService(repos, access, storage.blobs, queue);
  return {
    auth,
    oauth: new OAuthService(
      repos,
      clock,
      auth,
      limiter,
      authOptions.oauth ?? DEFAULT_OAUTH_OPTIONS,
      authOptions.audit ?? auditLogSink(repos),
    ),
    web: new WebAuthService(
      repos,
      clock,
      auth,
      limiter,
      authOptions.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS,
    ),
    users: new UserService(),
    projects: new ProjectService(repos, access),
    appSessions: new AppSessionService(repos, access),
    appResults: new AppResultService(repos, access),
    samples: new SampleService(repos, access),
    runs: new RunService(repos, access, storage.blobs, clock),
    genomes: new GenomeService(repos, storage.blobs, queue),
    files,
    genomics,
    htsget: new HtsgetService(access, genomics, files, storage.blobs, clock),
    drs: new DrsService(access, files),
    indexer,
    properties: new PropertyService(repos, access),
    search: new SearchService(repos, access),
    sharing: new SharingService(repos, access, auth),
    demux,
    apps: new AppService(repos, access, demux, queue),
  };
}

/** For tools that open services without a queue (admin commands): queuing a job is a bug there. */
const noQueue: JobQueue = {
  enqueue: () => Promise.reject(new Error('no job queue in this process')),
  start: () => Promise.reject(new Error('no job queue in this process')),
  cancel: () => Promise.resolve(false),
  get: () => Promise.resolve(undefined),
  stop: () => Promise.resolve(),
  check: () => Promise.resolve(),
};
