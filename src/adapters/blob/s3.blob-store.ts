import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Transform, type Readable } from 'node:stream';
import { contentDisposition } from '../../domain/index.js';
import type { BlobStore, ByteRange } from '../../ports.js';

export interface S3Settings {
  endpoint: string | undefined;
  region: string;
  bucket: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  forcePathStyle: boolean;
  /** Prepended to every key, so one bucket can hold several hubs. */
  prefix: string;
}

/**
 * Part size and parallelism of the SDK's multipart upload for large objects: 16 MiB x 4 in flight
 * keeps 64 MiB of a stream in memory at most, and 10,000 parts of 16 MiB cover 156 GiB; larger
 * objects grow the part size (lib-storage does) up to S3's 5 TiB object limit.
 */
const PART_SIZE = 16 * 1024 * 1024;
const QUEUE_SIZE = 4;
/** Deletes run this many at a time: enough to hide round trips, few enough for a small store. */
const DELETE_CONCURRENCY = 8;

/** Objects in any S3-compatible bucket (AWS, MinIO, Ceph, Swift s3api...). */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;

  constructor(private readonly settings: S3Settings) {
    this.client = new S3Client({
      region: settings.region,
      ...(settings.endpoint && { endpoint: settings.endpoint }),
      forcePathStyle: settings.forcePathStyle,
      ...(settings.accessKeyId &&
        settings.secretAccessKey && {
          credentials: {
            accessKeyId: settings.accessKeyId,
            secretAccessKey: settings.secretAccessKey,
          },
        }),
      // Newer SDKs add CRC checksums and aws-chunked bodies by default; many S3-compatible stores
      // (Swift's s3api among them) reject those. We checksum (MD5, SHA-256) ourselves.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private key(key: string): string {
    return `${this.settings.prefix}${key}`;
  }

  /** Checks the bucket is reachable, creating it when it does not exist. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
        ?.httpStatusCode;
      if (status !== 404) throw error;
      await this.client.send(new CreateBucketCommand({ Bucket: this.settings.bucket }));
    }
  }

  async check(signal?: AbortSignal): Promise<void> {
    await this.client.send(
      new HeadBucketCommand({ Bucket: this.settings.bucket }),
      signal && { abortSignal: signal },
    );
  }

  async write(
    key: string,
    source: Readable,
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<number> {
    let bytes = 0;
    const counted = source.pipe(
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          done(null, chunk);
        },
      }),
    );
    source.on('error', (e) => counted.destroy(e));
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.settings.bucket, Key: this.key(key), Body: counted },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    const abort = () => void upload.abort().catch(() => undefined);
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      await upload.done();
      return bytes;
    } finally {
      options.signal?.removeEventListener('abort', abort);
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const out = await this.client.send(
      new GetObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.key(key),
        ...(range && { Range: `bytes=${range.start}-${range.end}` }),
      }),
    );
    return out.Body as Readable;
  }

  async readRange(key: string, range: ByteRange): Promise<Buffer> {
    if (range.end < range.start) return Buffer.alloc(0);
    const out = await this.client.send(
      new GetObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.key(key),
        Range: `bytes=${range.start}-${range.end}`,
      }),
    );
    const bytes = await out.Body!.transformToByteArray();
    // Its own ArrayBuffer at offset 0: byte parsers view `.buffer` from the start.
    if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
      return Buffer.from(bytes.buffer, 0, bytes.byteLength);
    }
    const own = Buffer.allocUnsafeSlow(bytes.byteLength);
    own.set(bytes);
    return own;
  }

  async delete(keys: readonly string[]): Promise<void> {
    const queue = [...keys];
    const worker = async () => {
      for (let k = queue.shift(); k !== undefined; k = queue.shift()) {
        await this.client.send(
          new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.key(k) }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, queue.length) }, worker));
  }

  async listOlderThan(prefix: string, before: Date): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.settings.bucket,
          Prefix: this.key(prefix),
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key && o.LastModified && o.LastModified < before)
          out.push(o.Key.slice(this.settings.prefix.length));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async presignedUrl(
    key: string,
    options: { expiresInSeconds: number; fileName: string; contentType: string },
  ): Promise<string> {
    return getSignedUrl(
      this.client,
      new GetObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.key(key),
        ResponseContentDisposition: contentDisposition(options.fileName),
        ResponseContentType: options.contentType,
      }),
      { expiresIn: options.expiresInSeconds },
    );
  }
}
