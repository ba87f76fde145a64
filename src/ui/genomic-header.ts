import { hubFetch } from './session.js';

/** A chromosome of a file's header: name and length. */
export interface Contig {
  name: string;
  length: number;
}

/** Inflates BGZF (a series of gzip members, each with its size in the `BC` extra field). */
async function inflateBgzf(bytes: Uint8Array): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let at = 0;
  while (at + 18 <= bytes.length) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at);
    if (bytes[at] !== 0x1f || bytes[at + 1] !== 0x8b) throw new Error('Not BGZF data');
    const blockSize = view.getUint16(16, true) + 1;
    const block = bytes.subarray(at, at + blockSize);
    const stream = new Blob([block.slice()]).stream().pipeThrough(new DecompressionStream('gzip'));
    parts.push(new Uint8Array(await new Response(stream).arrayBuffer()));
    at += blockSize;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The header of an indexed BAM or VCF through htsget (`class=header`): its text and contigs, so
 * the viewer's reference comes from the file itself and nothing is asked of another host.
 */
export async function genomicHeader(
  kind: 'reads' | 'variants',
  fileId: string,
  signal: AbortSignal,
): Promise<{ text: string; contigs: Contig[] }> {
  const res = await hubFetch(`/htsget/${kind}/${encodeURIComponent(fileId)}?class=header`, {
    signal,
  });
  const body = (await res.json()) as {
    htsget?: { urls?: { url: string; headers?: Record<string, string> }[]; message?: string };
  };
  if (!res.ok || !body.htsget?.urls)
    throw new Error(body.htsget?.message ?? `The file is not indexed yet (HTTP ${res.status})`);
  const chunks = await Promise.all(
    body.htsget.urls.map(async (u) => {
      const r = await fetch(u.url, { headers: u.headers ?? {}, signal });
      return new Uint8Array(await r.arrayBuffer());
    }),
  );
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  const raw = await inflateBgzf(all);
  if (kind === 'variants') {
    const text = new TextDecoder()
      .decode(raw)
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .join('\n');
    const contigs = [...text.matchAll(/^##contig=<ID=([^,>]+)(?:[^>]*?,length=(\d+))?/gm)].map(
      (m) => ({
        name: m[1]!,
        length: Number(m[2] ?? 0),
      }),
    );
    return { text, contigs };
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (new TextDecoder().decode(raw.subarray(0, 4)) !== 'BAM\u0001')
    throw new Error('Not a BAM file');
  const textLength = view.getInt32(4, true);
  const text = new TextDecoder().decode(raw.subarray(8, 8 + textLength)).replace(/\0+$/, '');
  const contigs: Contig[] = [];
  let at = 8 + textLength;
  const n = view.getInt32(at, true);
  at += 4;
  for (let i = 0; i < n && at + 4 <= raw.length; i++) {
    const nameLength = view.getInt32(at, true);
    const name = new TextDecoder().decode(raw.subarray(at + 4, at + 4 + nameLength - 1));
    const length = view.getInt32(at + 4 + nameLength, true);
    contigs.push({ name, length });
    at += 8 + nameLength;
  }
  return { text, contigs };
}
