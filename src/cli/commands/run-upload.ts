import { resolve } from 'node:path';
import type { Command } from 'commander';
import { addClientOptions, configDir, resolveSettings } from '../config-file.js';
import { CliError, type CliRuntime } from '../runtime.js';

/** `1048576`, `512k`, `4M`, `1G` (binary multiples) as bytes. */
export function parseByteSize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  const value = m ? Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase()) : NaN;
  if (!m || !(value >= 1) || !Number.isSafeInteger(Math.floor(value)))
    throw new CliError(`${what} must be a size like 65536, 512k or 4M (got '${text}')`, 2);
  return Math.floor(value);
}

/** `seqhub run ...`: runs through the API of any hub. */
export function runCommand(program: Command, rt: CliRuntime): void {
  const run = program.command('run').description('runs on a hub, through its API');
  addClientOptions(run.command('upload'))
    .description(
      'upload an Illumina run folder as a new run; resumable (run it again after an interruption); prints the run id last',
    )
    .argument('<run-folder>', 'the run folder (with RunInfo.xml)')
    .option('-q, --quiet', 'no progress bar and no notes; only the run id')
    .option('--limit-rate <bytes>', 'average upload rate ceiling per second, e.g. 512k, 10M')
    .option(
      '--part-size <bytes>',
      'files larger than this go up in parts of this size (default 16M)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  SEQHUB_API_SERVER=http://127.0.0.1:3000 SEQHUB_ACCESS_TOKEN=... seqhub run upload /data/230101_M00001_0001_000000000-ABCDE\n  id=$(seqhub run upload RUNFOLDER --quiet)',
    )
    .action(
      async (
        folder: string,
        opts: {
          apiServer?: string;
          accessToken?: string;
          config?: string;
          quiet?: boolean;
          limitRate?: string;
          partSize?: string;
        },
      ) => {
        const { apiServer, accessToken } = await resolveSettings(rt, opts);
        const controller = new AbortController();
        void rt.untilStopped().then(() => controller.abort());
        // Loaded here: it brings the run-folder parsers (XML, BGZF), which no other command needs
        // and which were a third of every command's start (`node --cpu-prof` of `seqhub whoami`).
        const { uploadRunFolder } = await import('../run-upload.js');
        const result = await uploadRunFolder({
          folder: resolve(rt.cwd, folder),
          apiServer,
          accessToken,
          configDir: configDir(rt),
          ...(opts.partSize !== undefined && {
            partSize: parseByteSize(opts.partSize, '--part-size'),
          }),
          ...(opts.limitRate !== undefined && {
            maxBytesPerSecond: parseByteSize(opts.limitRate, '--limit-rate'),
          }),
          progress: opts.quiet || !rt.tty ? undefined : rt.progress,
          info: opts.quiet ? () => undefined : rt.out,
          signal: controller.signal,
        });
        if (!opts.quiet)
          rt.out(
            `uploaded ${result.filesUploaded} files (${result.bytesUploaded} bytes), ${result.filesSkipped} already on the hub; run complete`,
          );
        rt.out(result.runId);
      },
    );
}
