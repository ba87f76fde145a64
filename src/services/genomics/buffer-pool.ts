/**
 * Buffers of one size, reused: the variant path's answers (tens to hundreds of KiB each) were
 * fresh buffers per query, outside V8's heap, which added allocation, first-touch page faults
 * and garbage collections to every query (bench/README.md, genomics). A buffer is taken for one
 * answer and given back once nothing reads it any more (for a reply, on the response's
 * 'finish'); one not given back (a client gone mid-answer) is left to the garbage collector.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    /** Bytes per buffer. */
    readonly size: number,
    /** Free buffers kept at most; past it a given-back buffer is dropped. */
    private readonly keep: number,
  ) {}

  /** A buffer of {@link size} bytes, contents undefined. */
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Gives back a buffer from {@link take} (or any buffer: only this pool's own are kept). */
  give(buf: Buffer): void {
    if (
      buf.length === this.size &&
      buf.byteOffset === 0 &&
      buf.buffer.byteLength === this.size &&
      this.free.length < this.keep &&
      !this.free.includes(buf)
    ) {
      this.free.push(buf);
    }
  }

  /** Free buffers held (tests). */
  get held(): number {
    return this.free.length;
  }
}
