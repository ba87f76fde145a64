import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalRunFolder } from '../../src/adapters/run-folder/index.js';
import { openBlobStore } from '../../src/app/hub.js';
import { loadConfig } from '../../src/config/index.js';
import type { RunFolderReader } from '../../src/ports.js';
import { BlobRunFolder } from '../../src/services/demux/blob-run-folder.js';
import { storages } from '../support/backends.js';

/**
 * The run folder readers' `read` and `readInto` (the demultiplexer reads tile parts into reused
 * memory through `readInto`): same bytes as a slice of the file, clipped at its end.
 */
const bytes = randomBytes(300_000);
const dir = mkdtempSync(join(tmpdir(), 'seqhub-readers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readers(): Promise<[string, RunFolderReader][]> {
  const folder = join(dir, 'run');
  mkdirSync(join(folder, 'Data'), { recursive: true });
  writeFileSync(join(folder, 'Data/s_1_1101.bcl'), bytes);
  writeFileSync(join(folder, 'empty.bin'), new Uint8Array(0));
  const list: [string, RunFolderReader][] = [['LocalRunFolder', new LocalRunFolder(folder)]];
  for (const storage of storages()) {
    const config = loadConfig({
      env: { ...storage.env(), SEQHUB_LOG_LEVEL: 'silent' },
      flags: { dataDir: join(dir, `hub-${storage.kind}`) },
      cwd: dir,
    });
    const blobs = await openBlobStore(config);
    const key = `runs/readers-${randomBytes(4).toString('hex')}`;
    await blobs.write(key, Readable.from([bytes]));
    await blobs.write(`${key}-empty`, Readable.from([]));
    list.push([
      `BlobRunFolder on ${storage.kind} storage`,
      new BlobRunFolder(blobs, [
        { path: 'Data/s_1_1101.bcl', storageKey: key, size: bytes.length },
        { path: 'empty.bin', storageKey: `${key}-empty`, size: 0 },
      ]),
    ]);
  }
  return list;
}

describe('run folder readers', async () => {
  for (const [name, reader] of await readers()) {
    it(`${name}: read and readInto give the file's bytes, ranges clipped at its end`, async () => {
      const path = 'Data/s_1_1101.bcl';
      expect(Buffer.from(await reader.read(path))).toEqual(bytes);
      expect(Buffer.from(await reader.read(path, { start: 10, end: 19 }))).toEqual(
        bytes.subarray(10, 20),
      );
      const into = new Uint8Array(new ArrayBuffer(200_000), 1000, 100_000);
      into.fill(7);
      expect(await reader.readInto!(path, { start: 4, end: 100_003 }, into)).toBe(100_000);
      expect(Buffer.from(into)).toEqual(bytes.subarray(4, 100_004));
      // Past the end: the bytes there are, the rest of `into` untouched.
      into.fill(7);
      expect(await reader.readInto!(path, { start: 250_000, end: 349_999 }, into)).toBe(50_000);
      expect(Buffer.from(into.subarray(0, 50_000))).toEqual(bytes.subarray(250_000));
      expect(into[50_000]).toBe(7);
      // A range longer than `into`: `into`'s length only.
      expect(await reader.readInto!(path, { start: 0, end: 299_999 }, into.subarray(0, 10))).toBe(
        10,
      );
      expect(await reader.readInto!('empty.bin', { start: 0, end: 9 }, into)).toBe(0);
      await expect(reader.readInto!('missing.bcl', { start: 0, end: 9 }, into)).rejects.toThrow();
    });
  }
});
