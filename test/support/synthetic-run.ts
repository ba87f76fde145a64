import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A generated classic-BCL run folder (per-tile `.bcl`, `.filter`, `.locs`, RunInfo.xml and a v1
 * SampleSheet.csv), as bench/demux.mjs builds its larger one: random bases, clusters assigned to
 * samples by their indexes (5% to no sample), 90% PF. Deterministic for a given seed. Used where
 * a job must run long enough to be stopped or killed in the middle.
 */
export interface SyntheticRun {
  folder: string;
  samples: { sampleId: string; index: string; index2: string }[];
  tiles: number[];
  clusters: number;
}

/** xorshift32: the same folder for the same seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export function writeSyntheticRun(
  folder: string,
  options: { tiles: number; clusters: number; readLength: number; samples: number; seed?: number },
): SyntheticRun {
  const next = rng(options.seed ?? 42);
  const base = (n: number) => 'ACGT'[n & 3]!;
  const far = (a: string, b: string) => [...a].filter((c, i) => c !== b[i]).length >= 4;
  const pick = (list: string[]) => {
    for (;;) {
      const s = Array.from({ length: 8 }, () => base(next())).join('');
      if (list.every((o) => far(o, s))) return s;
    }
  };
  const i7: string[] = [];
  const i5: string[] = [];
  for (let s = 0; s < options.samples; s++) {
    i7.push(pick(i7));
    i5.push(pick(i5));
  }
  const reads = [options.readLength, 8, 8, options.readLength];
  const cycles = reads.reduce((a, b) => a + b, 0);
  const tiles = Array.from({ length: options.tiles }, (_, i) => 1101 + i);
  const n = options.clusters;
  const intensities = join(folder, 'Data/Intensities');
  mkdirSync(join(intensities, 'BaseCalls/L001'), { recursive: true });
  mkdirSync(join(intensities, 'L001'), { recursive: true });
  for (let c = 1; c <= cycles; c++)
    mkdirSync(join(intensities, `BaseCalls/L001/C${c}.1`), { recursive: true });
  for (const tile of tiles) {
    const sampleOf = new Int16Array(n);
    for (let c = 0; c < n; c++) sampleOf[c] = next() % 20 === 0 ? -1 : next() % options.samples;
    const filter = Buffer.alloc(12 + n);
    filter.writeUInt32LE(3, 4);
    filter.writeUInt32LE(n, 8);
    for (let c = 0; c < n; c++) filter[12 + c] = next() % 10 === 0 ? 0 : 1;
    writeFileSync(join(intensities, `BaseCalls/L001/s_1_${tile}.filter`), filter);
    const locs = Buffer.alloc(12 + n * 8);
    locs.writeInt32LE(1, 0);
    locs.writeFloatLE(1, 4);
    locs.writeUInt32LE(n, 8);
    for (let c = 0; c < n; c++) {
      locs.writeFloatLE((c % 2048) + 0.37, 12 + c * 8);
      locs.writeFloatLE(Math.floor(c / 2048) * 10 + 0.81, 16 + c * 8);
    }
    writeFileSync(join(intensities, `L001/s_1_${tile}.locs`), locs);
    for (let cycle = 1; cycle <= cycles; cycle++) {
      const bcl = Buffer.alloc(4 + n);
      bcl.writeUInt32LE(n, 0);
      const r1 = options.readLength;
      const inI7 = cycle > r1 && cycle <= r1 + 8;
      const inI5 = cycle > r1 + 8 && cycle <= r1 + 16;
      for (let c = 0; c < n; c++) {
        const r = next();
        let b = r & 3;
        const s = sampleOf[c]!;
        if ((inI7 || inI5) && s >= 0) {
          const seq = inI7 ? i7[s]! : i5[s]!;
          b = 'ACGT'.indexOf(seq[cycle - r1 - (inI7 ? 1 : 9)]!);
        }
        const q = 2 + ((r >>> 8) % 39);
        bcl[4 + c] = (q << 2) | b;
      }
      writeFileSync(join(intensities, `BaseCalls/L001/C${cycle}.1/s_1_${tile}.bcl`), bcl);
    }
  }
  const readXml = reads
    .map(
      (cyc, i) =>
        `      <Read Number="${i + 1}" NumCycles="${cyc}" IsIndexedRead="${i === 1 || i === 2 ? 'Y' : 'N'}" />`,
    )
    .join('\n');
  writeFileSync(
    join(folder, 'RunInfo.xml'),
    `<?xml version="1.0"?>
<RunInfo Version="2">
  <Run Id="200101_M00001_0001_000000000-SYNTH" Number="1">
    <Flowcell>000000000-SYNTH</Flowcell>
    <Instrument>M00001</Instrument>
    <Date>200101</Date>
    <Reads>
${readXml}
    </Reads>
    <FlowcellLayout LaneCount="1" SurfaceCount="1" SwathCount="1" TileCount="${tiles.length}">
      <TileSet TileNamingConvention="FourDigit">
        <Tiles>
${tiles.map((t) => `          <Tile>1_${t}</Tile>`).join('\n')}
        </Tiles>
      </TileSet>
    </FlowcellLayout>
  </Run>
</RunInfo>
`,
  );
  const samples = i7.map((index, s) => ({ sampleId: `S${s + 1}`, index, index2: i5[s]! }));
  writeFileSync(
    join(folder, 'SampleSheet.csv'),
    [
      '[Header]',
      'IEMFileVersion,4',
      'Experiment Name,Synthetic',
      '',
      '[Reads]',
      String(options.readLength),
      String(options.readLength),
      '',
      '[Data]',
      'Sample_ID,Sample_Name,Sample_Project,index,index2',
      ...samples.map((s) => `${s.sampleId},${s.sampleId},P,${s.index},${s.index2}`),
      '',
    ].join('\n'),
  );
  return { folder, samples, tiles, clusters: n };
}
