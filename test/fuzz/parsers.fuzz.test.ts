/**
 * Fuzzes every parser in src/formats (issue 11) with mutated real files from test/fixtures
 * (copies of ../shared/testdata, provenance in test/fixtures/README.md): bit flips, truncation,
 * inserted and overwritten bytes, huge counts written over header fields. Each input must either
 * parse or throw a FormatError, within a bounded time and without a giant allocation (a count
 * read from a header must be checked against the file's size before anything is sized by it).
 *
 * `FUZZ_RUNS=N FUZZ_SEED=S` runs longer or differently (N cases per parser, default below).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FormatError,
  bgzfCompress,
  decodeCbclTile,
  indexBam,
  indexBgzfVcf,
  inflateBgzfBlock,
  parseBcl,
  parseCbclHeader,
  parseClocs,
  parseCycleBci,
  parseFastq,
  parseFilter,
  parseLaneTileIndex,
  parseLocs,
  parseRunInfo,
  parseRunParameters,
  parseSampleSheet,
  parseVcfHeader,
  parseVcfRecord,
  readCorrectedIntensityMetrics,
  readErrorMetrics,
  readExtractionMetrics,
  readIndexMetrics,
  readQualityMetrics,
  readTileMetrics,
  recompressAndIndexVcf,
} from '../../src/formats/index.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
/** One case may take this long; the largest fixtures parse in a few milliseconds. */
const CASE_MS = 2000;
/** New array-buffer memory one case may hold when it ends; a header count sized to 4 GiB is far past it. */
const CASE_BYTES = 256 * 1024 * 1024;

const FIXTURES = join(import.meta.dirname, '../fixtures');
const read = (p: string) => new Uint8Array(readFileSync(join(FIXTURES, p)));
const files = (dir: string, re: RegExp): string[] => {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(join(FIXTURES, d)).sort()) {
      const p = join(d, e);
      if (statSync(join(FIXTURES, p)).isDirectory()) walk(p);
      else if (re.test(e)) out.push(p);
    }
  };
  walk(dir);
  return out;
};

/** A mutation of one seed file: the shapes that break binary and text readers. */
type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'overwrite'; at: number; bytes: Uint8Array }
  | { kind: 'huge'; at: number; value: number }
  | { kind: 'repeat'; at: number; length: number; times: number };

const position = fc.double({ min: 0, max: 1, noNaN: true });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position.map(Number), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position.map(Number) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position.map(Number),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({
    kind: fc.constant('overwrite' as const),
    at: position.map(Number),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  // A count field (uint32 little-endian) set to a value that would size a giant allocation.
  fc.record({
    kind: fc.constant('huge' as const),
    at: fc.oneof(
      fc.nat(64).map((n) => -n - 1),
      position.map(Number),
    ),
    value: fc.constantFrom(0xffffffff, 0x7fffffff, 0x10000000, 1 << 20, 0),
  }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: position.map(Number),
    length: fc.integer({ min: 1, max: 64 }),
    times: fc.integer({ min: 2, max: 50 }),
  }),
);

/** `at` in [0, 1) is a fraction of the length; a negative `at` is an absolute offset -at-1 (header fields). */
function apply(seed: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = seed;
  for (const m of ms) {
    const at = m.at < 0 ? Math.min(-m.at - 1, b.length) : Math.floor(m.at * b.length);
    switch (m.kind) {
      case 'flip': {
        if (b.length === 0) break;
        b = b.slice();
        const i = Math.min(at, b.length - 1);
        b[i]! ^= 1 << m.bit;
        break;
      }
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = concat(b.subarray(0, at), m.bytes, b.subarray(at));
        break;
      case 'overwrite': {
        b = b.slice();
        b.set(m.bytes.subarray(0, Math.max(0, b.length - at)), at);
        break;
      }
      case 'huge': {
        if (b.length < 4) break;
        b = b.slice();
        new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(
          Math.min(at, b.length - 4),
          m.value,
          true,
        );
        break;
      }
      case 'repeat': {
        const piece = b.subarray(at, at + m.length);
        b = concat(b.subarray(0, at), ...Array<Uint8Array>(m.times).fill(piece), b.subarray(at));
        break;
      }
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
async function* chunks(b: Uint8Array): AsyncIterable<Uint8Array> {
  for (let i = 0; i < b.length; i += 65536) yield b.subarray(i, i + 65536);
}

interface Target {
  name: string;
  seeds: string[];
  /** Turns a fixture into the bytes the mutations apply to (e.g. a BAM inflated, to reach its header). */
  prepare?: (bytes: Uint8Array) => Uint8Array;
  parse: (bytes: Uint8Array, file: string) => unknown;
}

const targets: Target[] = [
  {
    name: 'sample sheet (v1, v2, bcl2fastq, gzip)',
    seeds: files('runs/samplesheets', /\.(csv|txt|tsv)$/).concat(
      'runs/miseq-130417/SampleSheet.csv',
      'runs/novaseq-190414/SampleSheet.csv',
    ),
    parse: (b) => parseSampleSheet(b),
  },
  {
    name: 'RunInfo.xml',
    seeds: files('runs/runinfo', /\.xml$/).concat('runs/novaseq-190414/RunInfo.xml'),
    parse: (b) => parseRunInfo(text(b)),
  },
  {
    name: 'RunParameters.xml',
    seeds: ['runs/miseq-130417/runParameters.xml', 'runs/nextseq-170609/RunParameters.xml'],
    parse: (b) => parseRunParameters(text(b)),
  },
  {
    name: 'InterOp TileMetricsOut',
    seeds: files('runs', /TileMetricsOut\.bin$/),
    parse: (b) => readTileMetrics(b),
  },
  {
    name: 'InterOp QMetricsOut',
    seeds: ['runs/miseq-130417/InterOp/QMetricsOut.bin'],
    parse: (b) => readQualityMetrics(b),
  },
  {
    name: 'InterOp IndexMetricsOut',
    seeds: ['runs/nextseq-170609/InterOp/IndexMetricsOut.bin'],
    parse: (b) => readIndexMetrics(b),
  },
  {
    name: 'InterOp ExtractionMetricsOut',
    seeds: ['runs/miseq-130417/InterOp/ExtractionMetricsOut.bin'],
    parse: (b) => readExtractionMetrics(b),
  },
  {
    name: 'InterOp CorrectedIntMetricsOut',
    seeds: ['runs/miseq-130417/InterOp/CorrectedIntMetricsOut.bin'],
    parse: (b) => readCorrectedIntensityMetrics(b),
  },
  {
    name: 'InterOp ErrorMetricsOut (no real file here: fed ControlMetricsOut)',
    seeds: ['runs/miseq-130417/InterOp/ControlMetricsOut.bin'],
    parse: (b) => readErrorMetrics(b),
  },
  {
    name: 'BCL',
    seeds: files('picard-readerTests', /\.bcl$/),
    parse: (b, f) => parseBcl(b, f),
  },
  {
    name: 'CBCL header and tiles',
    seeds: files('picard-readerTests/cbcls', /\.cbcl$/).concat(
      'runs/novaseq-190414/Data/Intensities/BaseCalls/L001/C1.1/L001_1.cbcl',
    ),
    parse: (b, f) => {
      const header = parseCbclHeader(b, f);
      let at = header.headerSize;
      for (const record of header.tiles) {
        // In a run the filter comes from the tile's .filter file, whose size bounds it; here a
        // huge cluster count in the mutated header must not make the harness allocate gigabytes.
        const pf = header.nonPfExcluded
          ? new Uint8Array(Math.min(record.clusters, 1 << 22)).fill(1)
          : undefined;
        decodeCbclTile(header, record, b.subarray(at), f, pf);
        at += record.compressedSize;
      }
    },
  },
  {
    name: 'filter',
    seeds: files('picard-readerTests', /\.filter$/),
    parse: (b, f) => parseFilter(b, f),
  },
  {
    name: 'locs and clocs',
    seeds: files('picard-readerTests', /\.c?locs$/),
    parse: (b, f) => (f.endsWith('.clocs') ? parseClocs(b, f) : parseLocs(b, f)),
  },
  {
    name: 'BCI (cycle and lane tile index)',
    seeds: ['picard-parserTests/bciParser/0001.bcl.bgzf.bci'],
    parse: (b, f) => {
      try {
        parseCycleBci(b, f);
      } finally {
        parseLaneTileIndex(b, f);
      }
    },
  },
  {
    name: 'BGZF block',
    seeds: ['genomics/volvox.test.vcf.gz'],
    parse: (b, f) => inflateBgzfBlock(b, f),
  },
  {
    name: 'VCF header and records',
    seeds: ['genomics/volvox.test.vcf.gz', 'genomics/raw.g.vcf.gz'],
    prepare: (b) => new Uint8Array(gunzipSync(b)).subarray(0, 64 * 1024),
    parse: (b) => {
      const lines = text(b).split('\n');
      const header = parseVcfHeader(lines.filter((l) => l.startsWith('#')).join('\n'));
      for (const line of lines.filter((l) => l && !l.startsWith('#')).slice(0, 200))
        parseVcfRecord(line, header.samples);
    },
  },
  {
    name: 'VCF indexing (BGZF, as uploaded)',
    seeds: ['genomics/volvox.test.vcf.gz'],
    prepare: (b) => new Uint8Array(gunzipSync(b)),
    parse: (b, f) => indexBgzfVcf(chunks(bgzfCompress(b)), f),
  },
  {
    name: 'VCF indexing (plain text, recompressed)',
    seeds: ['genomics/volvox.test.vcf.gz'],
    prepare: (b) => new Uint8Array(gunzipSync(b)),
    parse: (b, f) => recompressAndIndexVcf(chunks(b), async () => undefined, f),
  },
  {
    name: 'BAM indexing (header counts, records)',
    seeds: ['genomics/volvox-sorted.bam', 'genomics/paired.bam', 'genomics/empty.bam'],
    // Inflated, so mutations reach l_text, n_ref, l_name and block_size; recompressed to feed.
    prepare: (b) => new Uint8Array(gunzipSync(b)).subarray(0, 256 * 1024),
    parse: (b, f) => indexBam(chunks(bgzfCompress(b)), () => undefined, f),
  },
  {
    name: 'BAM indexing (compressed bytes as stored)',
    seeds: ['genomics/paired.bam'],
    parse: (b, f) => indexBam(chunks(b), () => undefined, f),
  },
  {
    name: 'FASTQ',
    seeds: ['apps/reads_R1.fastq.gz'],
    prepare: (b) => new Uint8Array(gunzipSync(b)).subarray(0, 32 * 1024),
    parse: (b, f) => parseFastq(text(b), f),
  },
];

describe('parser fuzzing: each mutated input parses or throws FormatError, in bounded time and memory', () => {
  it.each(targets.map((t) => [t.name, t] as const))('%s', async (_name, target) => {
    const seeds = target.seeds.map((s) => ({
      name: s,
      bytes: (target.prepare ?? ((b: Uint8Array) => b))(read(s)),
    }));
    let parsedAfterMutation = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(seeds.length - 1),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (which, ms) => {
          const seed = seeds[which]!;
          const input = apply(seed.bytes, ms);
          const memory = process.memoryUsage().arrayBuffers;
          const started = performance.now();
          try {
            await target.parse(input, seed.name);
            parsedAfterMutation += 1;
          } catch (error) {
            if (!(error instanceof FormatError)) {
              throw new Error(
                `${seed.name} with ${JSON.stringify(ms)}: ${(error as Error)?.name}: ${(error as Error)?.message}`,
                { cause: error },
              );
            }
            refused += 1;
          }
          const took = performance.now() - started;
          expect(took, `${seed.name} took ${took.toFixed(0)} ms`).toBeLessThan(CASE_MS);
          const grew = process.memoryUsage().arrayBuffers - memory;
          expect(grew, `${seed.name} left ${grew} bytes allocated`).toBeLessThan(CASE_BYTES);
        },
      ),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    expect(parsedAfterMutation + refused).toBe(RUNS);
  });
});
