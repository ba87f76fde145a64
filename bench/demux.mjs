// Demultiplexing throughput: builds a run folder (classic per-tile BCL, .filter, .locs; default
// 4 tiles x 400,000 clusters, 151T8B8B151T = 318 cycles, 96 dual-indexed samples, random bases
// with sequencing-like index errors), then in the same run times
//   1. seqhub's engine (dist/services/demux, worker threads on every CPU),
//   2. Picard IlluminaBasecallsToFastq (Debian picard-tools) on the same folder, same gzip level,
//   3. the floor: gzip alone of the FASTQ text we produced, two gzip processes in parallel
//      (as many as our worker threads on the 2-CPU bench machine),
// and reports the ratios (targets: >= 3x faster than Picard, <= 1.5x the floor) and peak RSS.
// Run through `BENCH=demux npm run bench` (builds first) or `npm run build && node bench/demux.mjs`.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const intEnv = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return n;
};
const TILES = intEnv('BENCH_DEMUX_TILES', 4);
const CLUSTERS = intEnv('BENCH_DEMUX_CLUSTERS', 400_000);
const SAMPLES = intEnv('BENCH_DEMUX_SAMPLES', 96);
const LEVEL = intEnv('BENCH_DEMUX_LEVEL', 1);
const SKIP_PICARD = process.env.BENCH_DEMUX_PICARD === '0';
const READS = [151, 8, 8, 151];
const CYCLES = READS.reduce((a, b) => a + b, 0);
const data = join(root, '.bench-data', 'demux');
const run = join(data, `run-${TILES}x${CLUSTERS}-${SAMPLES}`);
const tiles = Array.from({ length: TILES }, (_, i) => 1101 + i);

// ---------------------------------------------------------------------------------------------
// The run folder
// ---------------------------------------------------------------------------------------------

function randomIndexes(n, length) {
  const out = [];
  const far = (a, b) => [...a].filter((c, i) => c !== b[i]).length >= 3;
  while (out.length < n) {
    const s = Array.from(randomBytes(length), (b) => 'ACGT'[b & 3]).join('');
    if (out.every((o) => far(o, s))) out.push(s);
  }
  return out;
}

function buildRun() {
  if (existsSync(join(run, 'done'))) return JSON.parse(readFileSync(join(run, 'done'), 'utf8'));
  rmSync(run, { recursive: true, force: true });
  const t0 = performance.now();
  const i7 = randomIndexes(SAMPLES, 8);
  const i5 = randomIndexes(SAMPLES, 8);
  const base = join(run, 'Data/Intensities');
  for (const tile of tiles) {
    // Cluster -> sample (5% from no sample), PF 90%.
    const sampleOf = new Int16Array(CLUSTERS);
    const rnd = randomBytes(CLUSTERS * 2);
    for (let c = 0; c < CLUSTERS; c++)
      sampleOf[c] = rnd[2 * c] < 13 ? -1 : ((rnd[2 * c + 1] << 8) | rnd[2 * c]) % SAMPLES;
    const filter = Buffer.alloc(12 + CLUSTERS);
    filter.writeUInt32LE(3, 4);
    filter.writeUInt32LE(CLUSTERS, 8);
    const pfr = randomBytes(CLUSTERS);
    for (let c = 0; c < CLUSTERS; c++) filter[12 + c] = pfr[c] < 230 ? 1 : 0;
    mkdirSync(join(base, 'BaseCalls/L001'), { recursive: true });
    writeFileSync(join(base, `BaseCalls/L001/s_1_${tile}.filter`), filter);
    const locs = Buffer.alloc(12 + CLUSTERS * 8);
    locs.writeInt32LE(1, 0);
    locs.writeFloatLE(1, 4);
    locs.writeUInt32LE(CLUSTERS, 8);
    for (let c = 0; c < CLUSTERS; c++) {
      locs.writeFloatLE((c % 2048) + 0.37, 12 + c * 8);
      locs.writeFloatLE(Math.floor(c / 2048) * 10 + 0.81, 16 + c * 8);
    }
    mkdirSync(join(base, 'L001'), { recursive: true });
    writeFileSync(join(base, `L001/s_1_${tile}.locs`), locs);
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const bcl = Buffer.alloc(4 + CLUSTERS);
      bcl.writeUInt32LE(CLUSTERS, 0);
      const r = randomBytes(CLUSTERS);
      const inI7 = cycle > 151 && cycle <= 159;
      const inI5 = cycle > 159 && cycle <= 167;
      // Qualities fall along a read, as on real runs (better-compressible than uniform noise).
      const pos = cycle <= 151 ? cycle : cycle <= 167 ? 10 : cycle - 167;
      for (let c = 0; c < CLUSTERS; c++) {
        let b = r[c] & 3;
        const s = sampleOf[c];
        if ((inI7 || inI5) && s >= 0 && r[c] >= 6) {
          const seq = inI7 ? i7[s] : i5[s];
          b = 'ACGT'.indexOf(seq[(cycle - (inI7 ? 152 : 160)) % 8]);
        }
        const q = r[c] < 2 ? 0 : Math.max(2, 40 - ((pos * (r[c] >> 4)) >> 5));
        bcl[4 + c] = q === 0 ? 0 : (q << 2) | b;
      }
      mkdirSync(join(base, `BaseCalls/L001/C${cycle}.1`), { recursive: true });
      writeFileSync(join(base, `BaseCalls/L001/C${cycle}.1/s_1_${tile}.bcl`), bcl);
    }
  }
  const info = { i7, i5, seconds: (performance.now() - t0) / 1000 };
  writeFileSync(join(run, 'done'), JSON.stringify(info));
  return info;
}

// ---------------------------------------------------------------------------------------------
// The three contenders
// ---------------------------------------------------------------------------------------------

function timed(command, args, options = {}) {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    ...options,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${command} failed (${r.status}): ${r.stderr.slice(-3000)}`);
  const lines = r.stderr.trim().split('\n');
  return { seconds, peakRssMiB: Number(lines[lines.length - 1]) / 1024, stdout: r.stdout };
}

function ours(info, out) {
  rmSync(out, { recursive: true, force: true });
  const script = `
    import { demultiplex } from ${JSON.stringify(join(root, 'dist/services/demux/index.js'))};
    import { LocalDemuxSink, LocalRunFolder } from ${JSON.stringify(join(root, 'dist/adapters/run-folder/index.js'))};
    const info = ${JSON.stringify({ i7: info.i7, i5: info.i5 })};
    const report = await demultiplex(new LocalRunFolder(${JSON.stringify(run)}), { tiles: ${JSON.stringify(tiles.map((tile) => ({ lane: 1, tile })))} }, {
      reads: ${JSON.stringify(READS.map((cycles, i) => ({ number: i + 1, cycles, isIndexedRead: i === 1 || i === 2 })))},
      lanes: [1],
      samples: info.i7.map((index, k) => ({ sampleId: 'S' + k, index, index2: info.i5[k] })),
    }, new LocalDemuxSink(${JSON.stringify(out)}), { instrument: 'M', runNumber: '1', flowcell: 'FC', compressionLevel: ${LEVEL} });
    console.log(JSON.stringify({ pf: report.pfClusters, threads: report.threads, undetermined: report.rows.at(-1).reads }));
  `;
  const file = join(data, 'run-seqhub.mjs');
  writeFileSync(file, script);
  const r = timed(process.execPath, [file]);
  return { ...r, report: JSON.parse(r.stdout.trim().split('\n').pop()) };
}

function picard(info, out) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const params = ['BARCODE_1\tBARCODE_2\tSAMPLE_ALIAS\tLIBRARY_NAME\tOUTPUT_PREFIX'];
  info.i7.forEach((b, k) =>
    params.push(`${b}\t${info.i5[k]}\tS${k}\tS${k}\t${join(out, `S${k}`)}`),
  );
  params.push(`N\tN\tUndetermined\tUndetermined\t${join(out, 'Undetermined')}`);
  writeFileSync(join(out, 'params.tsv'), `${params.join('\n')}\n`);
  return timed('PicardCommandLine', [
    'IlluminaBasecallsToFastq',
    `BASECALLS_DIR=${join(run, 'Data/Intensities/BaseCalls')}`,
    'LANE=1',
    'READ_STRUCTURE=151T8B8B151T',
    `MULTIPLEX_PARAMS=${join(out, 'params.tsv')}`,
    'MATCH_BARCODES_INLINE=true',
    'INCLUDE_NON_PF_READS=false',
    'RUN_BARCODE=1',
    'MACHINE_NAME=M',
    'FLOWCELL_BARCODE=FC',
    'COMPRESS_OUTPUTS=true',
    `COMPRESSION_LEVEL=${LEVEL}`,
    `NUM_PROCESSORS=${availableParallelism()}`,
    `TMP_DIR=${out}`,
  ]);
}

function floor(outOurs, plain) {
  rmSync(plain, { recursive: true, force: true });
  mkdirSync(plain, { recursive: true });
  // All the FASTQ text, split into one file per CPU, so gzip runs as parallel as we do.
  const parts = Array.from({ length: availableParallelism() }, () => []);
  let bytes = 0;
  const files = readdirSync(outOurs).filter((f) => f.endsWith('.fastq.gz'));
  files.forEach((f, i) => {
    const text = gunzipSync(readFileSync(join(outOurs, f)));
    bytes += text.length;
    parts[i % parts.length].push(text);
  });
  parts.forEach((p, i) => writeFileSync(join(plain, `part${i}.fastq`), Buffer.concat(p)));
  const r = timed(
    'sh',
    ['-c', `for f in part*.fastq; do gzip -${LEVEL} -c "$f" > /dev/null & done; wait`],
    { cwd: plain },
  );
  return { ...r, bytes };
}

// ---------------------------------------------------------------------------------------------

const hasPicard =
  !SKIP_PICARD && spawnSync('sh', ['-c', 'command -v PicardCommandLine']).status === 0;
console.log(
  `demux bench: ${TILES} tiles x ${CLUSTERS} clusters, 151T8B8B151T, ${SAMPLES} samples, gzip level ${LEVEL}`,
);
const info = buildRun();
console.log(`  run folder ready (${info.seconds.toFixed(1)} s to build when new): ${run}`);
const oursResult = ours(info, join(data, 'out-seqhub'));
console.log(
  `  seqhub:  ${oursResult.seconds.toFixed(2)} s, peak RSS ${oursResult.peakRssMiB.toFixed(0)} MiB, ${oursResult.report.threads} threads, PF ${oursResult.report.pf}, Undetermined ${oursResult.report.undetermined}`,
);
const floorResult = floor(join(data, 'out-seqhub'), join(data, 'plain'));
console.log(
  `  floor:   ${floorResult.seconds.toFixed(2)} s (gzip -${LEVEL} of ${(floorResult.bytes / 2 ** 20).toFixed(0)} MiB of FASTQ, ${availableParallelism()} in parallel)`,
);
const vsFloor = oursResult.seconds / floorResult.seconds;
console.log(
  `  seqhub / floor = ${vsFloor.toFixed(2)}x  (target <= 1.5x) ${vsFloor <= 1.5 ? 'PASS' : 'FAIL'}`,
);
if (hasPicard) {
  const picardResult = picard(info, join(data, 'out-picard'));
  const speedup = picardResult.seconds / oursResult.seconds;
  console.log(
    `  picard:  ${picardResult.seconds.toFixed(2)} s, peak RSS ${picardResult.peakRssMiB.toFixed(0)} MiB`,
  );
  console.log(
    `  picard / seqhub = ${speedup.toFixed(2)}x  (target >= 3x) ${speedup >= 3 ? 'PASS' : 'FAIL'}`,
  );
} else {
  console.log(
    '  picard:  skipped (no PicardCommandLine; apt-get install picard-tools, or BENCH_DEMUX_PICARD=0 was set)',
  );
}
rmSync(join(data, 'plain'), { recursive: true, force: true });
