import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  DEFAULT_POLL_MS,
  awaitAppSession,
  startDemultiplex,
  type AppSessionState,
} from '../../sdk/transfer.js';
import { download, type DownloadKind } from '../download.js';
import { formatDuration } from '../progress.js';
import { CliError, type CliRuntime } from '../runtime.js';
import {
  TransferExitCodes as Exit,
  asTransferError,
  configDir,
  connect,
  printResult,
  stopSignal,
  type ClientFlags,
} from '../transfer-common.js';
import { localFiles, uploadFiles, type UploadTarget } from '../upload-files.js';
import { parseByteSize } from './run-upload.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function clientOptions(cmd: Command): Command {
  return cmd
    .option('--api-server <url>', 'the hub (env SEQHUB_API_SERVER)')
    .option('--access-token <token>', 'an access token (env SEQHUB_ACCESS_TOKEN)')
    .option('-q, --quiet', 'no progress bar and no notes')
    .option('--terse', 'print only the id')
    .option('-f, --format <format>', 'table, json or csv', 'table');
}

/** Runs a command body, turning any failure into one line and a documented exit code. */
async function guarded(
  signal: AbortSignal,
  interrupted: string,
  body: () => Promise<void>,
): Promise<void> {
  try {
    await body();
  } catch (error) {
    throw asTransferError(error, signal, interrupted);
  }
}

interface UploadFlags extends ClientFlags {
  project?: string;
  name?: string;
  description?: string;
  id?: string;
  sample?: string;
  appresult?: string;
  include?: string[];
  exclude?: string[];
  partSize?: string;
  limitRate?: string;
}

/** `seqhub upload sample|appresult|files`. */
export function uploadCommand(program: Command, rt: CliRuntime): void {
  const upload = program
    .command('upload')
    .description('upload local files and folders into a sample or an app result; resumable');
  const common = (cmd: Command) =>
    clientOptions(cmd)
      .argument('<path...>', 'files and folders (folders recursively, under their own name)')
      .option('--include <glob>', 'only files matching (repeatable; * ** ? {a,b})', collect)
      .option('--exclude <glob>', 'skip files matching (repeatable)', collect)
      .option('--part-size <bytes>', 'files larger than this go up in parts (default 16M)')
      .option('--limit-rate <bytes>', 'average upload rate ceiling per second, e.g. 10M');

  const act = (build: (flags: UploadFlags) => UploadTarget) =>
    async function (this: Command, paths: string[], flags: UploadFlags) {
      const signal = stopSignal(rt);
      await guarded(signal, 'run the same command again to resume', async () => {
        const target = build(flags);
        const client = connect(rt, flags, {
          ...(flags.limitRate !== undefined && {
            maxUploadBytesPerSecond: parseByteSize(flags.limitRate, '--limit-rate'),
          }),
        });
        const files = await localFiles(rt.cwd, paths, flags.include ?? [], flags.exclude ?? []);
        const result = await uploadFiles({
          client,
          target,
          files,
          configDir: configDir(rt),
          ...(flags.partSize !== undefined && {
            partSize: parseByteSize(flags.partSize, '--part-size'),
          }),
          progress: flags.quiet || !rt.tty ? undefined : rt.progress,
          info: flags.quiet || flags.terse || flags.format === 'json' ? () => undefined : rt.err,
          signal,
        });
        const h = result.holder;
        printResult(rt, flags, {
          id: h.id,
          line: `uploaded ${result.filesUploaded} files (${result.bytesUploaded} bytes) to ${h.kind}/${h.id} '${h.name}', ${result.filesSkipped} already there`,
          record: {
            Id: h.id,
            Name: h.name,
            Kind: h.kind,
            AppSessionId: h.appSessionId,
            FilesUploaded: result.filesUploaded,
            FilesSkipped: result.filesSkipped,
            BytesUploaded: result.bytesUploaded,
          },
        });
      });
    };

  for (const [verb, kind] of [
    ['sample', 'samples'],
    ['appresult', 'appresults'],
  ] as const) {
    common(
      upload
        .command(verb)
        .description(
          `create a ${verb} in a project (its own AppSession, set Complete at the end) and upload into it; or --id to add to an existing one`,
        ),
    )
      .option('--project <id>', 'the project to create it in')
      .option('--name <name>', 'its name')
      .option('--description <text>', 'its description')
      .option('--id <id>', `an existing ${verb} to upload into instead`)
      .addHelpText(
        'after',
        `\nExamples:\n  id=$(seqhub upload ${verb} --project 12 --name NA12878 reads/ --terse)\n  seqhub upload ${verb} --id 34 extra.bam --exclude '*.tmp'`,
      )
      .action(
        act((flags) => {
          if (flags.id !== undefined) return { existing: { kind, id: flags.id } };
          if (!flags.project || !flags.name)
            throw new CliError(
              `give --project ID and --name N (or --id of a ${verb})`,
              Exit.badInput,
            );
          return {
            create: kind,
            projectId: flags.project,
            name: flags.name,
            ...(flags.description !== undefined && { description: flags.description }),
          };
        }),
      );
  }
  common(upload.command('files').description('upload into an existing sample or app result'))
    .option('--sample <id>', 'the sample')
    .option('--appresult <id>', 'the app result')
    .addHelpText(
      'after',
      '\nExamples:\n  seqhub upload files --appresult 34 qc/ --include "*.html"',
    )
    .action(
      act((flags) => {
        if ((flags.sample === undefined) === (flags.appresult === undefined))
          throw new CliError('give exactly one of --sample ID or --appresult ID', Exit.badInput);
        return flags.sample !== undefined
          ? { existing: { kind: 'samples', id: flags.sample } }
          : { existing: { kind: 'appresults', id: flags.appresult! } };
      }),
    );
}

/** `seqhub download project|sample|appresult|run|file --id ID -o DIR`. */
export function downloadCommand(program: Command, rt: CliRuntime): void {
  const dl = program
    .command('download')
    .description('download files; parallel, resumable, skips files already present');
  for (const kind of ['project', 'sample', 'appresult', 'run', 'file'] as const) {
    clientOptions(dl.command(kind).description(`download the files of a ${kind}`))
      .requiredOption('--id <id>', `the ${kind}`)
      .requiredOption('-o, --output <dir>', 'the folder to write into (created when missing)')
      .option('--extension <ext...>', 'only files with these extensions (fastq.gz, bam ...)')
      .option(
        '--range-size <bytes>',
        'files over 32M (or this size, if smaller) come in parallel ranges of this size (default 128M)',
      )
      .addHelpText(
        'after',
        kind === 'project'
          ? '\nLayout: DIR/<sample or app result name>/<file path>\nExamples:\n  seqhub download project --id 12 -o ./p12 --extension fastq.gz'
          : `\nExamples:\n  seqhub download ${kind} --id 34 -o ./out`,
      )
      .action(
        async (
          flags: ClientFlags & {
            id: string;
            output: string;
            extension?: string[];
            rangeSize?: string;
          },
        ) => {
          const signal = stopSignal(rt);
          await guarded(signal, 'run the same command again to resume', async () => {
            const client = connect(rt, flags);
            const extensions = flags.extension
              ?.flatMap((e) => e.split(','))
              .map((e) => e.trim())
              .filter((e) => e !== '');
            const s = await download({
              client,
              kind: kind as DownloadKind,
              id: flags.id,
              dir: resolve(rt.cwd, flags.output),
              ...(extensions && { extensions }),
              ...(flags.rangeSize !== undefined && {
                rangeSize: parseByteSize(flags.rangeSize, '--range-size'),
              }),
              progress: flags.quiet || !rt.tty ? undefined : rt.progress,
              signal,
            });
            printResult(rt, flags, {
              id: flags.id,
              line: `downloaded ${s.downloaded} files (${s.bytesFetched} bytes), ${s.skipped} already present`,
              record: {
                Id: flags.id,
                Files: s.files,
                Downloaded: s.downloaded,
                Skipped: s.skipped,
                BytesFetched: s.bytesFetched,
              },
            });
          });
        },
      );
  }
}

/** The exit code a settled AppSession status gives (docs/cli.md). */
export function exitCodeOf(status: string): number {
  if (status === 'Complete') return Exit.ok;
  if (status === 'NeedsAttention') return Exit.needsAttention;
  if (status === 'Aborted') return Exit.aborted;
  if (status === 'TimedOut') return Exit.timedOut;
  return Exit.unexpected;
}

interface WaitFlags extends ClientFlags {
  interval?: string;
  timeout?: string;
}

function seconds(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n))
    throw new CliError(`${what} must be a number of seconds (got '${text}')`, Exit.badInput);
  return n * 1000;
}

/** Waits for a session and prints it; resolves with the exit code its status gives. */
async function waitFor(
  rt: CliRuntime,
  flags: WaitFlags,
  id: string,
  signal: AbortSignal,
): Promise<AppSessionState> {
  const client = connect(rt, flags);
  const interval = seconds(flags.interval, '--interval') ?? DEFAULT_POLL_MS;
  const timeout = seconds(flags.timeout, '--timeout');
  const wait = new AbortController();
  const onAbort = () => wait.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeout === undefined ? undefined : setTimeout(() => wait.abort(new Error('timeout')), timeout);
  const started = Date.now();
  const show = flags.quiet || !rt.tty ? undefined : rt.progress;
  try {
    return await awaitAppSession(client.http, id, {
      intervalMs: interval,
      signal: wait.signal,
      onStatus: (s) =>
        show?.(
          `\rAppSession ${s.id}: ${s.status}${s.statusSummary ? ` (${s.statusSummary.slice(0, 60)})` : ''}  ${formatDuration((Date.now() - started) / 1000)} elapsed `,
        ),
    });
  } catch (error) {
    if (wait.signal.aborted && !signal.aborted)
      throw new CliError(
        `AppSession ${id} is not settled after ${flags.timeout} s`,
        Exit.waitTimeout,
      );
    throw error;
  } finally {
    if (timer) clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    if (show) show(`\r${' '.repeat(100)}\r`);
  }
}

function printSession(rt: CliRuntime, flags: ClientFlags, s: AppSessionState): void {
  printResult(rt, flags, {
    id: s.id,
    line: `AppSession ${s.id} ${s.status}${s.statusSummary ? `: ${s.statusSummary}` : ''}`,
    record: { Id: s.id, Name: s.name, Status: s.status, StatusSummary: s.statusSummary },
  });
}

/** Exits with `code` after the output is written (a non-zero code without an error line). */
class SettledExit extends CliError {}

/** `seqhub await appsession ID`. */
export function awaitCommand(program: Command, rt: CliRuntime): void {
  const wait = program.command('await').description('wait for something on the hub to finish');
  clientOptions(
    wait
      .command('appsession')
      .description(
        'wait until an AppSession is Complete (exit 0), NeedsAttention (10), Aborted (11) or TimedOut (12)',
      ),
  )
    .argument('<id>', 'the AppSession')
    .option('--interval <seconds>', 'how often to ask (default 2)')
    .option('--timeout <seconds>', 'give up after this long (exit 124)')
    .addHelpText(
      'after',
      '\nExamples:\n  seqhub await appsession 42 --timeout 3600 && seqhub download project --id 12 -o out',
    )
    .action(async (id: string, flags: WaitFlags) => {
      const signal = stopSignal(rt);
      await guarded(signal, 'the AppSession goes on', async () => {
        const s = await waitFor(rt, flags, id, signal);
        printSession(rt, flags, s);
        const code = exitCodeOf(s.status);
        if (code !== 0) throw new SettledExit('', code);
      });
    });
}

/** `seqhub run demultiplex --id RUN --project P [--sample-sheet F] [--wait]`. */
export function runDemultiplexCommand(run: Command, rt: CliRuntime): void {
  clientOptions(
    run
      .command('demultiplex')
      .description(
        'demultiplex a run into samples of a project (POST runs/{id}/demultiplex); prints the AppSession',
      ),
  )
    .requiredOption('--id <id>', 'the run')
    .requiredOption('--project <id>', 'the project the samples go to')
    .option('--sample-sheet <file>', "a sample sheet (CSV) to use instead of the run's own")
    .option('--wait', 'wait until the AppSession settles; exit code as `seqhub await appsession`')
    .option('--interval <seconds>', 'with --wait: how often to ask (default 2)')
    .option('--timeout <seconds>', 'with --wait: give up after this long (exit 124)')
    .addHelpText(
      'after',
      '\nExamples:\n  seqhub run demultiplex --id 7 --project 12 --sample-sheet SampleSheet.csv --wait',
    )
    .action(
      async (
        flags: WaitFlags & { id: string; project: string; sampleSheet?: string; wait?: boolean },
      ) => {
        const signal = stopSignal(rt);
        await guarded(signal, 'the demultiplexing goes on on the hub', async () => {
          let sampleSheet: string | undefined;
          if (flags.sampleSheet !== undefined) {
            try {
              sampleSheet = await readFile(resolve(rt.cwd, flags.sampleSheet), 'utf8');
            } catch (error) {
              throw new CliError(
                `cannot read '${flags.sampleSheet}': ${(error as { code?: string }).code ?? 'error'}`,
                Exit.badInput,
              );
            }
          }
          const client = connect(rt, flags);
          let s = await startDemultiplex(
            client.http,
            flags.id,
            { projectId: flags.project, ...(sampleSheet !== undefined && { sampleSheet }) },
            signal,
          );
          if (flags.wait) s = await waitFor(rt, flags, s.id, signal);
          printSession(rt, flags, s);
          const code = flags.wait ? exitCodeOf(s.status) : 0;
          if (code !== 0) throw new SettledExit('', code);
        });
      },
    );
}
