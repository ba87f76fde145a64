import { BAI } from '@gmod/bam';
import { TBI } from '@gmod/tabix';
import {
  AppError,
  genomicKindOf,
  resolveContig,
  type FileRecord,
  type GenomicKind,
  type GenomicsManifest,
} from '../../domain/index.js';
import { BGZF_EOF, bgzfBlock, inflateBgzfBlock, splitVirtualOffset } from '../../formats/index.js';
import type { BlobStore, Clock } from '../../ports.js';
import type { AccessService } from '../access.service.js';
import type { FileService } from '../file.service.js';
import type { Principal } from '../principal.js';
import { BlobFilehandle, readBlobRange } from './blob-filehandle.js';
import type { GenomicsService } from './genomics.service.js';

/**
 * GA4GH htsget 1.3 (issue 7): tickets whose URLs are byte ranges of the stored BGZF object,
 * signed (S3 pre-signed, or this hub's HMAC) so any htsget client fetches them without a token.
 * Whole blocks go out as ranges of the object; a block a region starts or ends inside is cut at
 * the record boundary and sent inline as a `data:` URL, so the concatenation is a valid file.
 * The slices are the index's chunks: a superset of the region's records, as the spec allows
 * (clients filter), never fewer.
 */

/** The htsget error names (htsget 1.3, "Errors"), with their HTTP statuses. */
export const HtsgetErrors = {
  InvalidAuthentication: 401,
  PermissionDenied: 403,
  NotFound: 404,
  UnsupportedFormat: 400,
  InvalidInput: 400,
  InvalidRange: 400,
} as const;
export type HtsgetErrorName = keyof typeof HtsgetErrors;

export class HtsgetError extends Error {
  constructor(
    readonly error: HtsgetErrorName,
    message: string,
  ) {
    super(message);
    this.name = 'HtsgetError';
  }
}

export interface HtsgetRegion {
  referenceName?: string | undefined;
  start?: string | number | undefined;
  end?: string | number | undefined;
}

/** GET's query (one region) or POST's body (`regions`, several). */
export interface HtsgetRequest extends HtsgetRegion {
  format?: string | undefined;
  class?: string | undefined;
  regions?: HtsgetRegion[] | undefined;
}

export interface HtsgetTicket {
  format: 'BAM' | 'VCF';
  urls: { url: string; headers?: Record<string, string>; class?: 'header' | 'body' }[];
}

const FORMATS: Record<GenomicKind, 'BAM' | 'VCF'> = { bam: 'BAM', vcf: 'VCF' };
/** Largest position htsget lets a client name (a 32-bit signed end, as htslib). */
const MAX_POSITION = 2 ** 31 - 1;

export class HtsgetService {
  constructor(
    private readonly access: AccessService,
    private readonly genomics: GenomicsService,
    private readonly files: FileService,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
  ) {}

  /**
   * The ticket for `reads` (BAM) or `variants` (VCF) of a file. `origin` is this hub's, for the
   * signed data URLs of local storage. Positions are htsget's: 0-based, `end` exclusive.
   */
  async ticket(
    principal: Principal,
    kind: GenomicKind,
    fileId: string,
    request: HtsgetRequest,
    origin: string,
  ): Promise<HtsgetTicket> {
    const format = FORMATS[kind];
    if (request.format !== undefined && request.format.toUpperCase() !== format) {
      throw new HtsgetError(
        'UnsupportedFormat',
        `This ${kind === 'bam' ? 'reads' : 'variants'} endpoint serves ${format} only, not '${request.format.slice(0, 20)}'`,
      );
    }
    const cls = request.class?.toLowerCase();
    if (cls !== undefined && cls !== 'header' && cls !== 'body') {
      throw new HtsgetError('InvalidInput', `class must be 'header' or 'body'`);
    }
    const regions = (request.regions ?? [request])
      .map((r) => parseHtsgetRegion(r, cls === 'header'))
      .filter((r) => r !== undefined);
    let file: FileRecord;
    try {
      file = await this.access.file(principal, fileId, 'read');
    } catch (error) {
      throw asHtsget(error);
    }
    if (genomicKindOf(file.name) !== kind) {
      throw new HtsgetError('NotFound', `No ${format} file with id '${fileId.slice(0, 30)}'`);
    }
    let manifest: GenomicsManifest;
    try {
      manifest = await this.genomics.manifestOf(file);
    } catch (error) {
      throw asHtsget(error);
    }
    const link = await this.linker(file, manifest, origin);
    const urls: HtsgetTicket['urls'] = [];
    const header = await this.slice(manifest, link, 0, manifest.firstRecord);
    urls.push(...header.map((u) => ({ ...u, class: 'header' as const })));
    if (cls !== 'header') {
      if (regions.length === 0) {
        urls.push(...(await this.slice(manifest, link, manifest.firstRecord, dataEnd(manifest))));
      }
      for (const region of regions) {
        const names = manifest.contigs.map((c) => c.name);
        const name = resolveContig(region.referenceName, names);
        if (name === undefined) {
          throw new HtsgetError(
            'NotFound',
            `The file has no reference '${region.referenceName.slice(0, 64)}'`,
          );
        }
        const chunks = await this.chunks(manifest, name, region.start, region.end);
        for (const c of chunks) {
          urls.push(...(await this.slice(manifest, link, c.min, c.max)));
        }
      }
      urls.forEach((u) => {
        if (!u.class) u.class = 'body';
      });
    }
    urls.push({ url: dataUrl(BGZF_EOF), class: cls === 'header' ? 'header' : 'body' });
    return { format, urls };
  }

  /** The index's chunks for [start, end) on `name`, as virtual offsets. */
  private async chunks(
    m: GenomicsManifest,
    name: string,
    start: number,
    end: number,
  ): Promise<{ min: number; max: number }[]> {
    const handle = new BlobFilehandle(this.blobs, m.indexKey, Number.MAX_SAFE_INTEGER);
    const raw =
      m.kind === 'bam'
        ? await new BAI({ filehandle: handle as never }).blocksForRange(
            m.contigs.findIndex((c) => c.name === name),
            start,
            end,
          )
        : await new TBI({ filehandle: handle as never }).blocksForRange(name, start, end);
    return raw.map((c) => ({
      min: c.minv.blockPosition * 65536 + c.minv.dataPosition,
      max: c.maxv.blockPosition * 65536 + c.maxv.dataPosition,
    }));
  }

  /**
   * URLs for the bytes between two virtual offsets: whole blocks as one range of the object,
   * the cut blocks at either end re-compressed inline.
   */
  private async slice(
    m: GenomicsManifest,
    link: (
      start: number,
      end: number,
    ) => Promise<{ url: string; headers?: Record<string, string> }>,
    from: number,
    to: number,
  ): Promise<{ url: string; headers?: Record<string, string>; class?: 'header' | 'body' }[]> {
    if (to <= from) return [];
    const a = splitVirtualOffset(from);
    const b = splitVirtualOffset(to);
    const out: { url: string; headers?: Record<string, string> }[] = [];
    let rangeStart = a.block;
    if (a.offset > 0) {
      const block = await this.block(m, a.block);
      const stop = b.block === a.block ? b.offset : block.data.length;
      out.push({ url: dataUrl(bgzfBlock(block.data.subarray(a.offset, stop))) });
      if (b.block === a.block) return out;
      rangeStart = a.block + block.size;
    }
    if (b.block > rangeStart) out.push(await link(rangeStart, b.block));
    if (b.offset > 0) {
      const block = await this.block(m, b.block);
      out.push({ url: dataUrl(bgzfBlock(block.data.subarray(0, b.offset))) });
    }
    return out;
  }

  private async block(m: GenomicsManifest, at: number): Promise<{ data: Buffer; size: number }> {
    const head = await readBlobRange(this.blobs, m.dataKey, at, Math.min(at + 18, m.dataSize));
    const size = head.readUInt16LE(16) + 1;
    const bytes = await readBlobRange(this.blobs, m.dataKey, at, at + size);
    return { data: inflateBgzfBlock(bytes), size };
  }

  /** Makes the URL of bytes [start, end) of the data object: S3 pre-signed, or ours. */
  private async linker(file: FileRecord, m: GenomicsManifest, origin: string) {
    const ttl = this.files.options.signedUrlTtlSeconds;
    const presigned = await this.blobs.presignedUrl(m.dataKey, {
      expiresInSeconds: ttl,
      fileName: file.name,
      contentType: 'application/octet-stream',
    });
    const expires = String(Math.floor(this.clock.now().getTime() / 1000) + ttl);
    const url =
      presigned ??
      `${origin}/htsget/data/${file.id}?expires=${expires}&signature=${await this.files.signature(
        `htsget/${file.id}/data`,
        expires,
      )}`;
    return async (start: number, end: number) => ({
      url,
      headers: { Range: `bytes=${start}-${end - 1}` },
    });
  }

  /**
   * The data object named by a signed htsget URL, with its size, for the hub to serve ranges of
   * (local storage; S3 tickets point at the bucket).
   */
  async signedData(
    fileId: string,
    expires: string,
    signature: string,
  ): Promise<{ key: string; size: number }> {
    await this.files.verifySignature(`htsget/${fileId}/data`, expires, signature);
    const file = await this.files.internalFile(fileId);
    const m = await this.genomics.manifestOf(file);
    return { key: m.dataKey, size: m.dataSize };
  }

  read(key: string, range?: { start: number; end: number }) {
    return this.blobs.read(key, range);
  }
}

/** Where the data ends: before the EOF block, which every ticket adds itself. */
function dataEnd(m: GenomicsManifest): number {
  return Math.max(m.firstRecord, (m.dataSize - BGZF_EOF.length) * 65536);
}

function dataUrl(bytes: Uint8Array): string {
  return `data:application/octet-stream;base64,${Buffer.from(bytes).toString('base64')}`;
}

function parseHtsgetRegion(
  r: HtsgetRegion,
  headerOnly: boolean,
): { referenceName: string; start: number; end: number } | undefined {
  const start = position(r.start, 'start');
  const end = position(r.end, 'end');
  if (headerOnly) return undefined;
  if (r.referenceName === undefined || r.referenceName === '') {
    if (start !== undefined || end !== undefined) {
      throw new HtsgetError('InvalidInput', 'start and end need a referenceName');
    }
    return undefined;
  }
  if (r.referenceName === '*') {
    throw new HtsgetError('InvalidInput', "referenceName '*' (unplaced reads) is not supported");
  }
  if (start !== undefined && end !== undefined && start > end) {
    throw new HtsgetError('InvalidRange', `start (${start}) is greater than end (${end})`);
  }
  return { referenceName: r.referenceName, start: start ?? 0, end: end ?? MAX_POSITION };
}

function position(raw: string | number | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const text = String(raw).trim();
  if (!/^\d{1,10}$/.test(text) || Number(text) > MAX_POSITION) {
    throw new HtsgetError(
      'InvalidRange',
      `${name} must be a whole number from 0 to ${MAX_POSITION}, not '${text.slice(0, 20)}'`,
    );
  }
  return Number(text);
}

/** Our errors in htsget's terms (htsget 1.3 "Errors"). */
export function asHtsget(error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  if (error.httpStatus === 401) return new HtsgetError('InvalidAuthentication', error.message);
  if (error.httpStatus === 403) return new HtsgetError('PermissionDenied', error.message);
  if (error.httpStatus === 404 || error.httpStatus === 409) {
    return new HtsgetError('NotFound', error.message);
  }
  if (error.httpStatus === 400) return new HtsgetError('InvalidInput', error.message);
  return error;
}
