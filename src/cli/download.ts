import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  mapConcurrent,
  type FileParentRef,
  type HubFile,
  type SeqhubClient,
} from '../sdk/index.js';
import { downloadFile } from '../sdk/transfer-node.js';
import { getProjectName, holderFiles, projectHolders } from '../sdk/transfer.js';
import { ProgressLine } from './progress.js';
import { ExitCodes } from './exit-codes.js';
import { CliError } from './runtime.js';

/**
 * Files downloaded at once. Small files cost a round trip and a create/rename each, not bytes: 8
 * in flight hide the latency (bench/download.mjs, 1,000 small files); a large file already
 * runs RANGE_CONCURRENCY ranges, so 8 x 2 requests is the most one download puts on a hub.
 */
export const DOWNLOAD_CONCURRENCY = 8;

export type DownloadKind = 'project' | 'sample' | 'appresult' | 'run' | 'file';

export interface DownloadOptions {
  client: SeqhubClient;
  kind: DownloadKind;
  id: string;
  /** The folder files go under (created when missing). */
  dir: string;
  /** Only files with one of these extensions (`fastq.gz`, `.bam`). */
  extensions?: string[];
  /** Range size of large files (default DEFAULT_RANGE_SIZE). */
  rangeSize?: number;
  progress?: (text: string) => void;
  signal: AbortSignal;
}

export interface DownloadSummary {
  files: number;
  downloaded: number;
  skipped: number;
  bytesFetched: number;
}

interface Job {
  file: HubFile;
  dest: string;
}

/** One path segment safe on every file system we write to: no separators, never `.` or `..`. */
function safeSegment(name: string): string {
  const s = name.replace(/[/\\\u0000]/g, '_');
  return s === '' || s === '.' || s === '..' ? `_${s}` : s;
}

/** A hub file path under `root`; a path that would climb out of it is refused. */
function under(root: string, path: string): string {
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.length === 0 || segments.some((s) => s === '.' || s === '..' || s.includes('\\')))
    throw new CliError(`the hub gave an unsafe file path '${path}'`, ExitCodes.refused);
  return join(root, ...segments);
}

/**
 * Lays out the download: a project's files go to `DIR/<sample or app result name>/<file path>`
 * (a name used twice gets `_<id>` after its first holder, in id order, samples first); a sample's,
 * app result's or run's to `DIR/<file path>`; a single file to `DIR/<file name>`.
 */
async function plan(options: DownloadOptions): Promise<Job[]> {
  const { client, signal } = options;
  const http = client.http;
  const dir = resolve(options.dir);
  const filter = { ...(options.extensions && { extensions: options.extensions }), signal };
  const jobs: Job[] = [];
  if (options.kind === 'file') {
    const file = await client.getFile(options.id, signal);
    jobs.push({ file, dest: join(dir, safeSegment(file.name)) });
  } else if (options.kind === 'project') {
    await getProjectName(http, options.id, signal);
    const used = new Set<string>();
    for await (const holder of projectHolders(http, options.id, signal)) {
      let folder = safeSegment(holder.name);
      if (used.has(folder)) folder = `${folder}_${holder.id}`;
      used.add(folder);
      for await (const file of holderFiles(http, holder, filter))
        jobs.push({ file, dest: under(join(dir, folder), file.path) });
    }
  } else {
    const kinds: Record<string, FileParentRef['kind']> = {
      sample: 'samples',
      appresult: 'appresults',
      run: 'runs',
    };
    const ref: FileParentRef = { kind: kinds[options.kind]!, id: options.id };
    await http.call('GET', `${ref.kind}/${encodeURIComponent(ref.id)}`, {
      idempotent: true,
      signal,
    });
    for await (const file of holderFiles(http, ref, filter))
      jobs.push({ file, dest: under(dir, file.path) });
  }
  return jobs;
}

/**
 * `seqhub download ...`: every file of the target into `dir`, DOWNLOAD_CONCURRENCY at once, each
 * skipped when already present with the hub's size and checksum, else fetched into `.part`, verified, renamed.
 */
export async function download(options: DownloadOptions): Promise<DownloadSummary> {
  const { signal } = options;
  const jobs = await plan(options);
  const progress = new ProgressLine(options.progress, {
    bytes: jobs.reduce((s, j) => s + j.file.size, 0),
    files: jobs.length,
  });
  const made = new Set<string>();
  const summary: DownloadSummary = {
    files: jobs.length,
    downloaded: 0,
    skipped: 0,
    bytesFetched: 0,
  };
  const inner = new AbortController();
  const onAbort = () => inner.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await mapConcurrent(jobs, DOWNLOAD_CONCURRENCY, async (job) => {
      try {
        const parent = join(job.dest, '..');
        if (!made.has(parent)) {
          await mkdir(parent, { recursive: true });
          made.add(parent);
        }
        const r = await downloadFile(options.client.http, job.file, job.dest, {
          signal: inner.signal,
          ...(options.rangeSize !== undefined && { rangeSize: options.rangeSize }),
          onProgress: (n) => progress.addBytes(n),
        });
        if (r.skipped) summary.skipped++;
        else summary.downloaded++;
        summary.bytesFetched += r.bytesFetched;
        progress.fileDone();
      } catch (error) {
        inner.abort(error);
        throw error;
      }
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    progress.finish();
  }
  return summary;
}
