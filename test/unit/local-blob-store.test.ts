import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalBlobStore } from '../../src/adapters/blob/local.blob-store.js';

describe('LocalBlobStore.write', () => {
  const root = mkdtempSync(join(tmpdir(), 'seqhub-local-blob-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('rejects, without an uncaught error event, when the source fails before the copy starts', async () => {
    const store = new LocalBlobStore(root);
    for (let i = 0; i < 20; i++) {
      const source = new PassThrough();
      const written = store.write(`early/${i}`, source);
      // In the gap where the store creates its folders, before its pipeline listens.
      source.destroy(new Error(`producer failed ${i}`));
      await expect(written).rejects.toThrow(`producer failed ${i}`);
    }
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
    await expect(store.read('early/0')).rejects.toThrow();
  });

  it('still writes a source that ends normally', async () => {
    const store = new LocalBlobStore(root);
    const source = new PassThrough();
    const written = store.write('ok', source);
    source.end(Buffer.from('hello'));
    expect(await written).toBe(5);
  });
});
