import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** File calls exactly as the BaseSpace Python SDK makes them (client-contract.md). */
export const md5hex = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
export const md5b64 = (b: Uint8Array) => createHash('md5').update(b).digest('base64');
export const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** CRC-32 as the hub writes it (`Crc32`): zlib's, 8 lowercase hex digits. */
export const crc32hex = (b: Uint8Array) => crc32(b).toString(16).padStart(8, '0');
export const randomData = (n: number) => new Uint8Array(randomBytes(n));

export async function json(res: Response): Promise<any> {
  return (await res.json()) as any;
}

export class FilesClient {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  /** appResultFileUpload / sampleFileUpload: raw body, Content-Type = the file's type. */
  upload(
    parent: 'appresults' | 'samples',
    id: string,
    name: string,
    directory: string,
    body: Uint8Array,
    type = 'text/plain',
  ) {
    const qs = new URLSearchParams({ name, directory });
    return fetch(`${this.base}/v1pre3/${parent}/${id}/files?${qs}`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${this.token}`,
        'Content-Type': type,
        'User-Agent': 'Python-urllib/3.11',
      },
      body,
    });
  }

  /** multipartFileUpload step 1: a JSON echo of the query, sent with the file's Content-Type. */
  async initMultipart(
    parent: 'appresults' | 'samples',
    id: string,
    name: string,
    directory = '',
    type = 'application/octet-stream',
  ) {
    const qs = new URLSearchParams({ name, directory, multipart: 'true' });
    const res = await fetch(`${this.base}/v1pre3/${parent}/${id}/files?${qs}`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${this.token}`,
        'Content-Type': type,
        'User-Agent': 'python-requests/2.31',
      },
      body: JSON.stringify({ name, directory, multipart: 'true' }),
    });
    return { res, body: await json(res) };
  }

  /** Step 2: only x-access-token, Content-MD5 of the part. */
  putPart(
    fileId: string,
    n: number,
    bytes: Uint8Array,
    options: { md5?: string | null; signal?: AbortSignal } = {},
  ) {
    const headers: Record<string, string> = {
      'x-access-token': this.token,
      'User-Agent': 'python-requests/2.31',
    };
    const md5 = options.md5 === undefined ? md5b64(bytes) : options.md5;
    if (md5 !== null) headers['Content-MD5'] = md5;
    return fetch(`${this.base}/v1pre3/files/${fileId}/parts/${n}`, {
      method: 'PUT',
      headers,
      body: bytes,
      ...(options.signal && { signal: options.signal }),
    });
  }

  /** Step 3: `{"uploadstatus": "complete"}` with no Content-Type. */
  setStatus(fileId: string, status: 'complete' | 'aborted') {
    return fetch(`${this.base}/v1pre3/files/${fileId}?uploadstatus=${status}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.token}` },
      body: new TextEncoder().encode(JSON.stringify({ uploadstatus: status })),
    });
  }

  get(path: string, headers: Record<string, string> = {}) {
    return fetch(`${this.base}/v1pre3/${path}`, {
      headers: { Authorization: `Bearer ${this.token}`, ...headers },
      redirect: 'manual',
    });
  }

  async bytes(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ res: Response; body: Uint8Array }> {
    const res = await this.get(path, headers);
    return { res, body: new Uint8Array(await res.arrayBuffer()) };
  }
}

/** The SDK keeps only the last whitespace-separated token of a part response and parses it. */
export function sdkPartEtag(text: string): string {
  const parsed = JSON.parse(text.split(/\s+/).filter(Boolean).at(-1)!) as {
    Response: { ETag: string };
  };
  return parsed.Response.ETag;
}
