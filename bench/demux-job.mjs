// What the job around the engine costs: the same generated run folder demultiplexed
//   1. by the engine alone (dist/services/demux, LocalRunFolder -> LocalDemuxSink), and
//   2. through a real `seqhub serve` (SQLite, local storage): `POST runs/{id}/demultiplex` until the
//      AppSession is Complete (reading the run from the blob store, staging, copying into storage
//      with MD5/SHA-256, one commit transaction),
// and reports the ratio job/engine and the serve process's peak RSS. Default 4 tiles x 100,000
// clusters, 2x51 + 8 + 8 cycles, 16 dual-indexed samples (BENCH_JOB_TILES, BENCH_JOB_CLUSTERS).
// Run through `BENCH=demux-job npm run bench` (builds first).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'dist/app/main.js');
const TILES = Number(process.env.BENCH_JOB_TILES ?? 4);
const CLUSTERS = Number(process.env.BENCH_JOB_CLUSTERS ?? 100_000);
const SAMPLES = 16;
const READS = [51, 8, 8, 51];
const work = mkdtempSync(join(tmpdir(), 'seqhub-bench-job-'));
const folder = join(work, 'run');

function indexes(n) {
  const out = [];
  const far = (a, b) => [...a].filter((c, i) => c !== b[i]).length >= 3;
  while (out.length < n) {
    const s = Array.from(randomBytes(8), (b) => 'ACGT'[b & 3]).join('');
    if (out.every((o) => far(o, s))) out.push(s);
  }
  return out;
}

function buildRun() {
  const i7 = indexes(SAMPLES);
  const i5 = indexes(SAMPLES);
  const cycles = READS.reduce((a, b) => a + b, 0);
  const base = join(folder, 'Data/Intensities');
  const tiles = Array.from({ length: TILES }, (_, i) => 1101 + i);
  mkdirSync(join(base, 'L001'), { recursive: true });
  for (let c = 1; c <= cycles; c++)
    mkdirSync(join(base, `BaseCalls/L001/C${c}.1`), { recursive: true });
  for (const tile of tiles) {
    const rnd = randomBytes(CLUSTERS);
    const sampleOf = Int16Array.from(rnd, (r, c) => (r < 13 ? -1 : c % SAMPLES));
    const filter = Buffer.alloc(12 + CLUSTERS);
    filter.writeUInt32LE(3, 4);
    filter.writeUInt32LE(CLUSTERS, 8);
    const pf = randomBytes(CLUSTERS);
    for (let c = 0; c < CLUSTERS; c++) filter[12 + c] = pf[c] < 230 ? 1 : 0;
    writeFileSync(join(base, `BaseCalls/L001/s_1_${tile}.filter`), filter);
    const locs = Buffer.alloc(12 + CLUSTERS * 8);
    locs.writeInt32LE(1, 0);
    locs.writeFloatLE(1, 4);
    locs.writeUInt32LE(CLUSTERS, 8);
    for (let c = 0; c < CLUSTERS; c++) {
      locs.writeFloatLE((c % 2048) + 0.37, 12 + c * 8);
      locs.writeFloatLE(Math.floor(c / 2048) * 10 + 0.81, 16 + c * 8);
    }
    writeFileSync(join(base, `L001/s_1_${tile}.locs`), locs);
    for (let cycle = 1; cycle <= cycles; cycle++) {
      const bcl = Buffer.alloc(4 + CLUSTERS);
      bcl.writeUInt32LE(CLUSTERS, 0);
      const r = randomBytes(CLUSTERS);
      const inI7 = cycle > 51 && cycle <= 59;
      const inI5 = cycle > 59 && cycle <= 67;
      for (let c = 0; c < CLUSTERS; c++) {
        let b = r[c] & 3;
        const s = sampleOf[c];
        if ((inI7 || inI5) && s >= 0) b = 'ACGT'.indexOf((inI7 ? i7 : i5)[s][(cycle - 52) % 8]);
        bcl[4 + c] = ((2 + (r[c] >> 3)) << 2) | b;
      }
      writeFileSync(join(base, `BaseCalls/L001/C${cycle}.1/s_1_${tile}.bcl`), bcl);
    }
  }
  writeFileSync(
    join(folder, 'RunInfo.xml'),
    `<?xml version="1.0"?>
<RunInfo Version="2"><Run Id="200101_M00001_0001_000000000-BENCH" Number="1">
<Flowcell>000000000-BENCH</Flowcell><Instrument>M00001</Instrument><Date>200101</Date><Reads>
${READS.map((c, i) => `<Read Number="${i + 1}" NumCycles="${c}" IsIndexedRead="${i === 1 || i === 2 ? 'Y' : 'N'}" />`).join('\n')}
</Reads><FlowcellLayout LaneCount="1" SurfaceCount="1" SwathCount="1" TileCount="${TILES}"><TileSet TileNamingConvention="FourDigit"><Tiles>
${tiles.map((t) => `<Tile>1_${t}</Tile>`).join('\n')}
</Tiles></TileSet></FlowcellLayout></Run></RunInfo>
`,
  );
  const rows = i7.map((x, k) => `S${k + 1},S${k + 1},P,${x},${i5[k]}`);
  writeFileSync(
    join(folder, 'SampleSheet.csv'),
    [
      '[Header]',
      'IEMFileVersion,4',
      '',
      '[Data]',
      'Sample_ID,Sample_Name,Sample_Project,index,index2',
      ...rows,
      '',
    ].join('\n'),
  );
  return { i7, i5, tiles };
}

function engineAlone(info) {
  const out = join(work, 'engine-out');
  const script = `
    import { demultiplex } from ${JSON.stringify(join(root, 'dist/services/demux/index.js'))};
    import { LocalDemuxSink, LocalRunFolder } from ${JSON.stringify(join(root, 'dist/adapters/run-folder/index.js'))};
    const info = ${JSON.stringify(info)};
    await demultiplex(new LocalRunFolder(${JSON.stringify(folder)}), { tiles: info.tiles.map((tile) => ({ lane: 1, tile })) }, {
      reads: ${JSON.stringify(READS.map((cycles, i) => ({ number: i + 1, cycles, isIndexedRead: i === 1 || i === 2 })))},
      lanes: [1],
      samples: info.i7.map((index, k) => ({ sampleId: 'S' + (k + 1), index, index2: info.i5[k] })),
    }, new LocalDemuxSink(${JSON.stringify(out)}), { instrument: 'M00001', runNumber: '1', flowcell: '000000000-BENCH' });
  `;
  const file = join(work, 'engine.mjs');
  writeFileSync(file, script);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return (performance.now() - t0) / 1000;
}

function env(extra) {
  const out = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(SEQHUB_|DATABASE_URL$)/.test(k)) out[k] = v;
  return { ...out, SEQHUB_DATA_DIR: join(work, 'data'), SEQHUB_LOG_LEVEL: 'silent', ...extra };
}

function serve() {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { env: env() });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const url = /listening on (\S+)/.exec(out)?.[1];
      const token = /admin access token: (\w+)/.exec(out)?.[1];
      if (url && token) ok({ child, url, token });
    });
    child.on('exit', (code) => fail(new Error(`serve exited ${code}`)));
  });
}

const peakRssMiB = (pid) =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

try {
  const info = buildRun();
  const engine = engineAlone(info);
  const hub = await serve();
  try {
    const imported = spawnSync(
      process.execPath,
      [BIN, 'admin', 'run', 'import', folder, '--owner', 'admin@localhost'],
      { env: env(), encoding: 'utf8' },
    );
    if (imported.status !== 0) throw new Error(imported.stderr);
    const runId = imported.stdout.trim().split('\n').pop();
    const call = async (method, path, body) => {
      const res = await fetch(`${hub.url}/v1pre3/${path}`, {
        method,
        headers: { 'x-access-token': hub.token, 'Content-Type': 'application/json' },
        body: body && JSON.stringify(body),
      });
      return (await res.json()).Response;
    };
    const project = await call('POST', 'projects', { Name: 'bench' });
    const t0 = performance.now();
    const session = await call('POST', `runs/${runId}/demultiplex`, { ProjectId: project.Id });
    let s = session;
    while (s.Status === 'Running') {
      await new Promise((r) => setTimeout(r, 100));
      s = await call('GET', `appsessions/${session.Id}`);
    }
    const job = (performance.now() - t0) / 1000;
    if (s.Status !== 'Complete') throw new Error(`job ended ${s.Status}: ${s.StatusSummary}`);
    const clusters = TILES * CLUSTERS;
    console.log(
      `demux-job: ${TILES} tiles x ${CLUSTERS} clusters (2x51+8+8, ${SAMPLES} samples): engine alone ${engine.toFixed(2)} s, ` +
        `job through serve ${job.toFixed(2)} s (${(job / engine).toFixed(2)}x; ${Math.round(clusters / job)} clusters/s), ` +
        `serve peak RSS ${peakRssMiB(hub.child.pid).toFixed(0)} MiB; ${s.StatusSummary}`,
    );
  } finally {
    hub.child.kill('SIGTERM');
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
