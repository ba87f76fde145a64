import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../domain/index.js';

/**
 * Passes bytes through unchanged while computing MD5 (and SHA-256 when asked) and counting them;
 * fails with a 413 as soon as more than `maxBytes` have passed, so an oversized body is never
 * stored whole.
 */
export class ChecksumStream extends Transform {
  private readonly md5: Hash = createHash('md5');
  private readonly sha256: Hash | undefined;
  bytes = 0;

  constructor(
    options: { sha256: boolean; maxBytes?: number | undefined },
    private readonly maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    this.sha256 = options.sha256 ? createHash('sha256') : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(
        new AppError(
          'PayloadTooLarge',
          `The upload is larger than ${this.maxBytes} bytes: use a multipart upload`,
        ),
      );
      return;
    }
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    done(null, chunk);
  }

  /** Hex digests; call once the stream has finished. */
  digests(): { md5: string; sha256: string | undefined } {
    return { md5: this.md5.digest('hex'), sha256: this.sha256?.digest('hex') };
  }
}
