import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalBlobStore, SYNC_READ_MAX } from '../../src/adapters/blob/local.blob-store.js';

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

describe('LocalBlobStore.readRange', () => {
  const root = mkdtempSync(join(tmpdir(), 'seqhub-local-blob-range-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const put = async (store: LocalBlobStore, key: string, text: string) => {
    const source = new PassThrough();
    const written = store.write(key, source);
    source.end(Buffer.from(text));
    await written;
  };

  it('reads inclusive ranges into buffers of their own, short at the end, from a kept handle', async () => {
    const store = new LocalBlobStore(root);
    await put(store, 'a/range', '0123456789');
    const bytes = await store.readRange('a/range', { start: 2, end: 5 });
    expect(bytes.toString()).toBe('2345');
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(4);
    expect((await store.readRange('a/range', { start: 8, end: 20 })).toString()).toBe('89');
    expect((await store.readRange('a/range', { start: 30, end: 40 })).length).toBe(0);
    const many = await Promise.all(
      Array.from({ length: 200 }, (_, i) => store.readRange('a/range', { start: i % 10, end: 9 })),
    );
    many.forEach((b, i) => expect(b.toString()).toBe('0123456789'.slice(i % 10)));
  });

  it('sees an object replaced or deleted through the store, and rejects a missing one', async () => {
    const store = new LocalBlobStore(root);
    await put(store, 'b/obj', 'first');
    expect((await store.readRange('b/obj', { start: 0, end: 4 })).toString()).toBe('first');
    await put(store, 'b/obj', 'second');
    expect((await store.readRange('b/obj', { start: 0, end: 5 })).toString()).toBe('second');
    await store.delete(['b/obj']);
    await expect(store.readRange('b/obj', { start: 0, end: 1 })).rejects.toThrow();
    await expect(store.readRange('b/none', { start: 0, end: 1 })).rejects.toThrow();
  });

  it('readRangeNow reads at once from a file already open, and declines what it cannot', async () => {
    const store = new LocalBlobStore(root);
    await put(store, 'd/obj', '0123456789');
    // Not open yet: the caller goes through readRange, which opens it.
    expect(store.readRangeNow('d/obj', { start: 0, end: 3 })).toBeUndefined();
    expect((await store.readRange('d/obj', { start: 0, end: 0 })).toString()).toBe('0');
    const now = store.readRangeNow('d/obj', { start: 2, end: 5 })!;
    expect(now.toString()).toBe('2345');
    expect(now.byteOffset).toBe(0);
    expect(now.buffer.byteLength).toBe(4);
    expect(store.readRangeNow('d/obj', { start: 8, end: 20 })!.toString()).toBe('89');
    expect(store.readRangeNow('d/obj', { start: 30, end: 40 })!.length).toBe(0);
    // Past the size it reads on the calling thread.
    expect(store.readRangeNow('d/obj', { start: 0, end: SYNC_READ_MAX })).toBeUndefined();
    // Replaced: the old handle is dropped, never read from again.
    await put(store, 'd/obj', 'second');
    expect(store.readRangeNow('d/obj', { start: 0, end: 5 })).toBeUndefined();
    expect((await store.readRange('d/obj', { start: 0, end: 5 })).toString()).toBe('second');
    expect(store.readRangeNow('d/obj', { start: 0, end: 5 })!.toString()).toBe('second');
    // Deleted: declined, and readRange rejects.
    await store.delete(['d/obj']);
    expect(store.readRangeNow('d/obj', { start: 0, end: 5 })).toBeUndefined();
    await expect(store.readRange('d/obj', { start: 0, end: 1 })).rejects.toThrow();
  });

  it('keeps at most 64 handles open whatever the number of objects read', async () => {
    const store = new LocalBlobStore(root);
    for (let i = 0; i < 100; i++) await put(store, `c/${i}`, `obj${i}`);
    const reads = await Promise.all(
      Array.from({ length: 100 }, (_, i) => store.readRange(`c/${i}`, { start: 0, end: 9 })),
    );
    reads.forEach((b, i) => expect(b.toString()).toBe(`obj${i}`));
    // Objects evicted from the cache read again correctly.
    expect((await store.readRange('c/0', { start: 0, end: 9 })).toString()).toBe('obj0');
    expect((store as any).handles.open.size).toBeLessThanOrEqual(64);
  });
});
