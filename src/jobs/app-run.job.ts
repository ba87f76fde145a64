import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { findApplication } from '../apps/index.js';
import {
  AppError,
  FINAL_STATUSES,
  genomicKindOf,
  isoNow,
  type AppManifest,
  type FileRecord,
  type PropertyInput,
} from '../domain/index.js';
import type {
  AppSandbox,
  AppWorkspace,
  BlobStore,
  Clock,
  JobContext,
  JobHandler,
  Repositories,
} from '../ports.js';
import {
  ChecksumStream,
  copied,
  FASTQ_NAME,
  GENOME_FILES,
  type AppRunPayload,
} from '../services/index.js';

export interface AppRunJobDeps {
  repos: Repositories;
  blobs: BlobStore;
  sandbox: AppSandbox;
  clock: Clock;
  /** Called with the files a run published (the genomics indexer queues BAM/VCF indexing). */
  onFilesPublished?: ((files: readonly FileRecord[]) => void) | undefined;
  /** How often the job looks whether its AppSession was stopped (default 1 s). */
  watchMs?: number | undefined;
  /** Overrides the manifests' time limit (tests). */
  timeLimitMs?: number | undefined;
}

/** Log lines are written at most this often, in one insert (a chatty tool writes thousands). */
const LOG_FLUSH_MS = 300;
/** StatusSummary is free text; a failure's message is cut to this length. */
const SUMMARY_MAX = 1000;
/** JSON outputs read for properties: reports are a few KB; a huge one is not a summary. */
const SUMMARY_FILE_MAX = 1024 * 1024;
/** Outputs copied into storage at once (as the demux job, for S3 latency on 2 shared vCPUs). */
const UPLOAD_CONCURRENCY = 4;

const CONTENT_TYPES: Record<string, string> = {
  bam: 'application/octet-stream',
  bai: 'application/octet-stream',
  gz: 'application/gzip',
  tbi: 'application/octet-stream',
  html: 'text/html',
  json: 'application/json',
  txt: 'text/plain',
};

/** Appends log lines to the AppSession's log in order, batched. */
class LogWriter {
  private pending: string[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repos: Repositories,
    private readonly sessionId: string,
    private seq: number,
  ) {}

  line(text: string): void {
    this.pending.push(text);
    this.timer ??= setTimeout(() => void this.flush(), LOG_FLUSH_MS);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.pending;
    this.pending = [];
    if (lines.length > 0) {
      const first = this.seq;
      this.seq += lines.length;
      this.chain = this.chain
        .then(() => this.repos.appSessionLogs.append(this.sessionId, first, lines))
        .catch(() => undefined);
    }
    return this.chain;
  }
}

const isFinal = (status: string) => (FINAL_STATUSES as readonly string[]).includes(status);
const envName = (fieldId: string) => `OPT_${fieldId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
/** A file-name stem from a sample name: letters, digits, `.`, `-`, `_`. */
const stemOf = (name: string, id: string) =>
  name
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 100) || `sample-${id}`;

/** A single stream of several blobs one after the other (gzip members concatenate). */
function concatenated(blobs: BlobStore, keys: readonly string[]): Readable {
  return Readable.from(
    (async function* () {
      for (const key of keys)
        for await (const chunk of await blobs.read(key)) yield chunk as Buffer;
    })(),
  );
}

/**
 * The `app-run` job (issue 12): runs a launched script app in its own working folder. Inputs are
 * streamed in from storage (each sample's FASTQ per read, lanes concatenated; the genome's FASTA
 * and indexes), the script runs under the app's time and memory limits with a stripped
 * environment, its output lines go to the AppSession's log as they come, and on success every
 * `outputs/<sample id>/` folder becomes one AppResult, published with the `Output.*` properties
 * and `Complete` in one transaction. A failure sets `NeedsAttention` with the reason; a stop
 * (Aborted) kills the process tree; either way the log stays and no output is visible.
 */
export function appRunJob(deps: AppRunJobDeps): JobHandler {
  const { repos, blobs, sandbox } = deps;
  const blobPrefix = (sessionId: string) => `apps/${sessionId}/`;

  return {
    async run(raw, context: JobContext) {
      const payload = raw as AppRunPayload;
      const sessionId = payload.appSessionId;
      const session = await repos.appSessions.findById(sessionId);
      if (!session || isFinal(session.status)) return;
      const app = findApplication(payload.appId);
      if (!app || app.engine.kind !== 'script')
        throw new Error(`app ${payload.appId} is not a script app`);
      const engine = app.engine;

      const log = new LogWriter(repos, sessionId, await repos.appSessionLogs.next(sessionId));
      const earlier = await blobs.listOlderThan(blobPrefix(sessionId), new Date(8.64e15));
      await blobs.delete(earlier);
      const ws = await sandbox.open(`app-${sessionId}`);
      const controller = new AbortController();
      const forward = () => controller.abort(context.signal.reason);
      context.signal.addEventListener('abort', forward, { once: true });
      const stopped = () => controller.abort(new Error('the AppSession was stopped'));
      const watch = setInterval(() => {
        repos.appSessions.findById(sessionId).then(
          (s) => {
            if (!s || isFinal(s.status)) stopped();
          },
          () => undefined,
        );
      }, deps.watchMs ?? 1000);
      watch.unref();
      let writes: Promise<unknown> = Promise.resolve();
      const summary = (text: string) => {
        writes = writes
          .then(() =>
            repos.appSessions.update(sessionId, { statusSummary: text.slice(0, SUMMARY_MAX) }),
          )
          .then(
            (s) => {
              if (!s) stopped();
            },
            () => undefined,
          );
        return writes;
      };
      const uploaded: string[] = [];
      let lastLine = '';
      try {
        log.line(`seqhub: ${app.slug} ${app.version}, attempt ${context.attempt}`);
        await summary('Staging inputs');
        const stems = await stageInputs(
          repos,
          blobs,
          ws,
          payload,
          engine.needsGenomeIndex,
          log,
          controller.signal,
        );
        const env: Record<string, string> = {
          SEQHUB_APP: app.slug,
          SEQHUB_THREADS: String(app.resources.threads),
        };
        if (engine.needsGenomeIndex) {
          env.SEQHUB_GENOME_FASTA = `inputs/genome/${GENOME_FILES.fasta}`;
          env.SEQHUB_GENOME_MMI = `inputs/genome/${GENOME_FILES.minimap2}`;
        }
        for (const [id, value] of Object.entries(payload.options)) env[envName(id)] = String(value);
        controller.signal.throwIfAborted();
        await summary(`Running ${app.name}`);
        const timeLimitMs = deps.timeLimitMs ?? app.resources.timeLimitSeconds * 1000;
        const result = await ws.exec(engine.script, {
          env,
          timeLimitMs,
          memoryBytes: app.resources.memoryMb * 1024 * 1024,
          signal: controller.signal,
          onLine: (line) => {
            log.line(line);
            if (line.trim()) lastLine = line.trim();
            // Scripts mark their steps `[sample] step`: those lines are the progress.
            if (line.startsWith('[')) void summary(`Running ${app.name}: ${line}`);
          },
        });
        controller.signal.throwIfAborted();
        if (result.timedOut)
          throw new Error(`the time limit of ${Math.round(timeLimitMs / 1000)} s was exceeded`);
        if (result.exitCode !== 0)
          throw new Error(
            `${app.slug} ended with ${result.exitCode === null ? `signal ${result.exitSignal}` : `exit code ${result.exitCode}`}${lastLine ? `: ${lastLine}` : ''}`,
          );
        await summary('Storing the outputs');
        const outputs = await collectOutputs(ws, payload.sampleIds, app);
        const prefix = `${blobPrefix(sessionId)}${context.attempt}-${isoNow(deps.clock.now()).replace(/[^0-9]/g, '')}/`;
        let next = 0;
        const upload = async () => {
          while (next < outputs.length) {
            const out = outputs[next++]!;
            controller.signal.throwIfAborted();
            const key = `${prefix}${out.sampleId}/${out.path}`;
            const sums = new ChecksumStream({ sha256: true });
            uploaded.push(key);
            await copied(
              pipeline(await ws.open(`outputs/${out.sampleId}/${out.path}`), sums, {
                signal: controller.signal,
              }),
              blobs.write(key, sums, { signal: controller.signal }),
            );
            const { md5, sha256, crc32 } = sums.digests();
            Object.assign(out, { storageKey: key, size: sums.bytes, md5, sha256: sha256!, crc32 });
          }
        };
        const copies = await Promise.allSettled(Array.from({ length: UPLOAD_CONCURRENCY }, upload));
        for (const c of copies) if (c.status === 'rejected') throw c.reason;
        controller.signal.throwIfAborted();
        const published = await publish(repos, payload, app, stems, outputs);
        log.line(
          `seqhub: published ${published.resultIds.length} AppResult(s), ${published.files.length} file(s)`,
        );
        await log.flush();
        deps.onFilesPublished?.(published.files);
      } catch (error) {
        await blobs.delete(uploaded).catch(() => undefined);
        const message = error instanceof Error ? error.message : String(error);
        if (context.signal.aborted) {
          log.line(`seqhub: interrupted (${message}); the job will run again`);
          await log.flush();
          throw error;
        }
        const now = await repos.appSessions.findById(sessionId);
        if (!now || isFinal(now.status)) {
          log.line('seqhub: stopped by the user; no output was kept');
          await log.flush();
          return;
        }
        log.line(`seqhub: failed: ${message}`);
        await log.flush();
        await writes;
        await repos.appSessions.update(sessionId, {
          status: 'NeedsAttention',
          statusSummary: `${app.name} failed: ${message}`.slice(0, SUMMARY_MAX),
        });
        throw error;
      } finally {
        clearInterval(watch);
        context.signal.removeEventListener('abort', forward);
        await ws.remove().catch(() => undefined);
        await log.flush();
      }
    },

    async abandoned(raw, reason) {
      const payload = raw as AppRunPayload;
      await repos.appSessions.update(payload.appSessionId, {
        status: 'NeedsAttention',
        statusSummary: `The app failed: ${reason}`,
      });
    },
  };
}

interface Output {
  sampleId: string;
  /** Path below `outputs/<sample id>/`. */
  path: string;
  storageKey?: string;
  size?: number;
  md5?: string;
  sha256?: string;
  crc32?: string;
  properties: Record<string, string>;
}

/** Streams the inputs in and writes `inputs/samples.tsv`; returns the file stem per sample. */
async function stageInputs(
  repos: Repositories,
  blobs: BlobStore,
  ws: AppWorkspace,
  payload: AppRunPayload,
  needsGenome: boolean,
  log: LogWriter,
  signal: AbortSignal,
): Promise<Map<string, string>> {
  const rows: string[] = [];
  const stems = new Map<string, string>();
  for (const id of payload.sampleIds) {
    const sample = await repos.samples.findById(id);
    if (!sample) throw new Error(`sample ${id} no longer exists`);
    const files = await repos.files.list(
      'sample',
      id,
      {},
      { offset: 0, limit: 1000, sortBy: 'Name', sortDir: 'Asc' },
    );
    const fastq = files.items.filter(
      (f) => f.uploadStatus === 'complete' && f.storageKey && FASTQ_NAME.test(f.name),
    );
    // Index reads (_I1/_I2) are not reads to analyse; R2 is the mate file of a pair.
    const reads = fastq.filter((f) => !/_I[12](_\d+)?\.f/i.test(f.name));
    const r2 = reads.filter((f) => /_R2(_\d+)?\.f/i.test(f.name));
    const r1 = reads.filter((f) => !r2.includes(f));
    if (r1.length === 0) throw new Error(`sample ${id} (${sample.name}) has no FASTQ file`);
    const gz = (list: FileRecord[]) => {
      const zipped = list.filter((f) => f.name.toLowerCase().endsWith('.gz')).length;
      if (zipped !== 0 && zipped !== list.length)
        throw new Error(`sample ${id} (${sample.name}) mixes gzipped and plain FASTQ files`);
      return zipped > 0 ? '.fastq.gz' : '.fastq';
    };
    const stage = async (list: FileRecord[], read: string) => {
      const path = `inputs/${id}/${read}${gz(list)}`;
      log.line(`seqhub: staging ${list.map((f) => f.name).join(', ')} as ${read}`);
      await ws.write(
        path,
        concatenated(
          blobs,
          list.map((f) => f.storageKey!),
        ),
        signal,
      );
      return path;
    };
    const p1 = await stage(r1, 'R1');
    const p2 = r2.length > 0 ? await stage(r2, 'R2') : '';
    const stem = uniqueStem(stemOf(sample.name, id), stems);
    stems.set(id, stem);
    rows.push([id, sample.name.replace(/[\t\r\n]/g, ' '), stem, p1, p2].join('\t'));
  }
  await ws.write('inputs/samples.tsv', Readable.from([rows.map((r) => `${r}\n`).join('')]), signal);
  if (needsGenome) {
    const genome = payload.genomeId ? await repos.genomes.findById(payload.genomeId) : undefined;
    if (genome?.sequence?.status !== 'ready')
      throw new Error(`genome ${payload.genomeId} has no indexed sequence`);
    log.line(`seqhub: staging genome ${genome.id} (${genome.displayName})`);
    for (const name of [GENOME_FILES.fasta, GENOME_FILES.fai, GENOME_FILES.minimap2])
      await ws.write(
        `inputs/genome/${name}`,
        await blobs.read(`${genome.sequence.key}${name}`),
        signal,
      );
  }
  return stems;
}

function uniqueStem(stem: string, taken: Map<string, string>): string {
  const used = new Set(taken.values());
  let s = stem;
  for (let n = 2; used.has(s); n++) s = `${stem}_${n}`;
  return s;
}

/** Files under `outputs/<sample id>/`; anything else in `outputs/` is a bug of the app. */
async function collectOutputs(
  ws: AppWorkspace,
  sampleIds: readonly string[],
  app: AppManifest,
): Promise<Output[]> {
  const files = await ws.list('outputs');
  const out: Output[] = [];
  for (const f of files) {
    const slash = f.name.indexOf('/');
    const sampleId = f.name.slice(0, slash);
    if (slash < 0 || !sampleIds.includes(sampleId))
      throw new Error(`${app.slug} wrote outputs/${f.name}, outside a sample's output folder`);
    const path = f.name.slice(slash + 1);
    let properties: Record<string, string> = {};
    if (
      app.engine.kind === 'script' &&
      app.engine.summarize &&
      path.endsWith('.json') &&
      f.size <= SUMMARY_FILE_MAX
    ) {
      const chunks: Buffer[] = [];
      for await (const chunk of await ws.open(`outputs/${f.name}`)) chunks.push(chunk as Buffer);
      try {
        properties = app.engine.summarize(path, Buffer.concat(chunks).toString('utf8')) ?? {};
      } catch (error) {
        throw new Error(`${app.slug}: could not read ${path} (${(error as Error).message})`);
      }
    }
    out.push({ sampleId, path, properties });
  }
  if (out.length === 0) throw new Error(`${app.slug} wrote no outputs`);
  return out;
}

/**
 * Makes a successful run visible in ONE transaction: per sample an AppResult (referencing the
 * sample, with the genome) with its files complete and its properties, the session's
 * `Output.AppResults` and `Complete`. A session stopped meanwhile rolls it all back.
 */
async function publish(
  repos: Repositories,
  payload: AppRunPayload,
  app: AppManifest,
  stems: ReadonlyMap<string, string>,
  outputs: readonly Output[],
): Promise<{ resultIds: string[]; files: FileRecord[] }> {
  return repos.transaction(async (tx) => {
    const resultIds: string[] = [];
    const files: FileRecord[] = [];
    for (const sampleId of payload.sampleIds) {
      const mine = outputs.filter((o) => o.sampleId === sampleId);
      if (mine.length === 0) continue;
      const sample = await tx.samples.findById(sampleId);
      const result = await tx.appResults.create({
        projectId: payload.projectId,
        ownerId: payload.userId,
        appSessionId: payload.appSessionId,
        name: `${sample?.name ?? stems.get(sampleId)} ${app.name}`.slice(0, 255),
        description: `${app.name} ${app.version} of sample ${sample?.name ?? sampleId}`.slice(
          0,
          1024,
        ),
        genomeId: payload.genomeId,
        references: [{ rel: 'using', kind: 'sample', id: sampleId }],
      });
      const properties: PropertyInput[] = [];
      for (const o of mine) {
        const slash = o.path.lastIndexOf('/');
        const name = o.path.slice(slash + 1);
        const file = await tx.files.create({
          parentKind: 'appresult',
          parentId: result.id,
          ownerId: payload.userId,
          projectId: payload.projectId,
          name,
          directory: slash < 0 ? '' : o.path.slice(0, slash),
          path: o.path,
          contentType:
            CONTENT_TYPES[name.split('.').pop()!.toLowerCase()] ?? 'application/octet-stream',
          multipart: false,
        });
        const complete = await tx.files.transition(file.id, 'pending', {
          uploadStatus: 'complete',
          size: o.size!,
          md5: o.md5!,
          sha256: o.sha256!,
          ...(o.crc32 !== undefined && { crc32: o.crc32 }),
          storageKey: o.storageKey!,
          ...(genomicKindOf(name) && { indexStatus: 'pending' as const }),
        });
        await tx.files.addToParentSize(complete!, o.size!);
        await tx.search.reindex('file', file.id);
        files.push(complete!);
        for (const [pname, content] of Object.entries(o.properties))
          properties.push({ name: pname, description: '', value: { type: 'string', content } });
      }
      if (properties.length > 0)
        await tx.properties.upsert('appresult', result.id, properties, payload.userId);
      await tx.search.reindex('appresult', result.id);
      resultIds.push(result.id);
    }
    await tx.properties.upsert(
      'appsession',
      payload.appSessionId,
      [
        {
          name: 'Output.AppResults',
          description: `One AppResult per sample`,
          value: { type: 'appresult[]', items: resultIds.map((id) => ({ kind: 'appresult', id })) },
        },
        {
          name: 'Output.Projects',
          description: 'Where the results were written',
          value: { type: 'project[]', items: [{ kind: 'project', id: payload.projectId }] },
        },
      ],
      payload.userId,
    );
    const done = await tx.appSessions.update(payload.appSessionId, {
      status: 'Complete',
      statusSummary: `${app.name} complete: ${resultIds.length} AppResult(s)`,
    });
    if (!done)
      throw new AppError(
        'BASESPACE.APPSESSIONS.NOT_WORKABLE',
        `AppSession ${payload.appSessionId} became final while its outputs were published`,
      );
    return { resultIds, files };
  });
}
