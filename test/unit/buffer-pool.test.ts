import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/services/genomics/buffer-pool.js';

describe('BufferPool', () => {
  it('hands back the buffers given back, keeps at most its bound, and only its own size', () => {
    const pool = new BufferPool(1024, 2);
    const a = pool.take();
    const b = pool.take();
    const c = pool.take();
    expect(a.length).toBe(1024);
    expect(new Set([a, b, c]).size).toBe(3);
    pool.give(a);
    pool.give(a); // twice: kept once
    expect(pool.held).toBe(1);
    pool.give(b);
    pool.give(c); // past the bound: dropped
    expect(pool.held).toBe(2);
    const again = [pool.take(), pool.take()];
    expect(again.includes(a) && again.includes(b)).toBe(true);
    expect(pool.held).toBe(0);
    // Buffers that are not whole buffers of the pool's size are never kept.
    pool.give(Buffer.alloc(512));
    pool.give(a.subarray(0, 1000));
    pool.give(Buffer.from(new ArrayBuffer(2048), 0, 1024));
    expect(pool.held).toBe(0);
  });
});
