import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseFastq, type FastqRecord } from '../../src/formats/index.js';
import type { DemuxSink, RunFolderReader } from '../../src/ports.js';

/** The shared test data (`../shared/testdata` from the repository), or undefined when absent. */
export const TESTDATA: string | undefined = (() => {
  const dir = join(import.meta.dirname, '..', '..', '..', 'shared', 'testdata');
  return existsSync(dir) ? dir : undefined;
})();

export const PICARD_ILLUMINA = TESTDATA && join(TESTDATA, 'picard/testdata/picard/illumina');
export const BCL2FASTR_RUN =
  TESTDATA && join(TESTDATA, 'bcl2fastr/test_data/190414_A00111_0296_AHJCWWDSXX');

if (!TESTDATA) {
  process.stderr.write(
    'shared test data not found at ../shared/testdata: real-run demultiplexing tests are skipped\n',
  );
}

/** Keeps demultiplexing outputs in memory. */
export class MemorySink implements DemuxSink {
  readonly files = new Map<string, Buffer[]>();

  append(name: string, bytes: Uint8Array | readonly Uint8Array[]): Promise<void> {
    const list = this.files.get(name) ?? [];
    for (const piece of Array.isArray(bytes) ? bytes : [bytes]) list.push(Buffer.from(piece));
    this.files.set(name, list);
    return Promise.resolve();
  }

  bytes(name: string): Buffer {
    const list = this.files.get(name);
    if (!list) throw new Error(`no output ${name}`);
    return Buffer.concat(list);
  }

  text(name: string): string {
    return this.bytes(name).toString('utf8');
  }

  fastq(name: string): FastqRecord[] {
    return parseFastq(gunzipSync(this.bytes(name)).toString('latin1'), name);
  }
}

/** A run folder with some files replaced (bytes), or removed (null). */
export function overlay(
  base: RunFolderReader,
  changes: Record<string, Uint8Array | null>,
): RunFolderReader {
  return {
    size: (path) =>
      path in changes
        ? Promise.resolve(changes[path] === null ? undefined : changes[path]!.length)
        : base.size(path),
    read: async (path, range) => {
      if (!(path in changes)) return base.read(path, range);
      const bytes = changes[path];
      if (!bytes) throw new Error(`ENOENT ${path}`);
      return range ? bytes.slice(range.start, range.end + 1) : bytes.slice();
    },
  };
}
