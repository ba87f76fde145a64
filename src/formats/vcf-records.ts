/**
 * VCF header and record fields as the BaseSpace variant endpoints return them (spec 4.11): every
 * value stays the exact text of the file (no number conversion), so clients see what the VCF says.
 */

export interface VcfHeaderInfo {
  /** Unstructured `##key=value` lines (the last one wins for a repeated key). */
  metadata: Record<string, string>;
  /** Structured `##KEY=<ID=...,...>` lines by KEY (INFO, FORMAT, FILTER, contig, ALT, ...). */
  legends: Record<string, Record<string, string>[]>;
  samples: string[];
}

export function parseVcfHeader(header: string): VcfHeaderInfo {
  const metadata: Record<string, string> = {};
  const legends: Record<string, Record<string, string>[]> = {};
  let samples: string[] = [];
  for (const line of header.split('\n')) {
    if (line.startsWith('#CHROM')) {
      samples = line.replace(/\r$/, '').split('\t').slice(9);
    } else if (line.startsWith('##')) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(2, eq);
      const value = line.slice(eq + 1).replace(/\r$/, '');
      if (value.startsWith('<') && value.endsWith('>')) {
        (legends[key] ??= []).push(structuredFields(value.slice(1, -1)));
      } else {
        metadata[key] = value;
      }
    }
  }
  return { metadata, legends, samples };
}

/** `ID=DP,Number=1,Description="a, b"` -> fields, quotes removed, commas in quotes kept. */
function structuredFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([^=,]+)=("((?:[^"\\]|\\.)*)"|[^,]*)/g;
  for (const m of text.matchAll(re)) {
    out[m[1]!.trim()] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2]!;
  }
  return out;
}

export interface VcfRecord {
  chrom: string;
  pos: number;
  ids: string[];
  ref: string;
  /** ALT alleles, comma-joined as in the file. */
  alt: string;
  qual: number | undefined;
  filter: string;
  info: Record<string, string[]>;
  /** Sample name -> FORMAT key -> value. */
  samples: Record<string, Record<string, string>>;
}

/** One data line (POS is the file's 1-based position). */
export function parseVcfRecord(line: string, sampleNames: readonly string[]): VcfRecord {
  const f = line.replace(/\r?\n$/, '').split('\t');
  const info: Record<string, string[]> = {};
  if (f[7] && f[7] !== '.') {
    for (const pair of f[7].split(';')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq < 0) info[pair] = [];
      else info[pair.slice(0, eq)] = pair.slice(eq + 1).split(',');
    }
  }
  const samples: Record<string, Record<string, string>> = {};
  if (f[8] !== undefined) {
    const keys = f[8].split(':');
    sampleNames.forEach((name, i) => {
      const values = (f[9 + i] ?? '.').split(':');
      const s: Record<string, string> = {};
      keys.forEach((k, j) => {
        s[k] = values[j] ?? '.';
      });
      samples[name] = s;
    });
  }
  const qual = f[5] === undefined || f[5] === '.' ? undefined : Number(f[5]);
  return {
    chrom: f[0] ?? '',
    pos: Number(f[1]),
    ids: !f[2] || f[2] === '.' ? [] : f[2].split(';'),
    ref: f[3] ?? '',
    alt: f[4] ?? '.',
    qual: qual !== undefined && Number.isFinite(qual) ? qual : undefined,
    filter: f[6] ?? '.',
    info,
    samples,
  };
}
