// Genomic queries (issue 7): a generated coordinate-sorted BAM of BENCH_READS reads (default
// 1,000,000) and a VCF of BENCH_RECORDS records (default 1,000,000), uploaded to a real hub on
// local storage (in this process, from ../dist). Measures:
//  - indexing: upload complete -> IndexStatus ready, against `samtools index` + `samtools depth -a`
//    (BAM) and `bgzip` + `tabix -p vcf` (VCF) on the same files, in the same run;
//  - 1,000 random region queries through the hub, 16 concurrent, coverage at random zooms and
//    variant regions of up to 1,000 records, against `samtools depth -r` and `tabix` for the same
//    regions (each a process, one after another). Each kind is measured on a hub that has first
//    answered BENCH_WARMUP_QUERIES (5,000) other regions of a second copy of the file, so the
//    hub is warm and the measured file's data cold (see the warm-up below and bench/README.md).
// The queries come from bench/query-client.mjs in a child process. Needs samtools, tabix
// (bgzip) on PATH. Run: `BENCH=genomics npm run bench`.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  createWriteStream,
} from 'node:fs';
import os from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver, constants as perf, monitorEventLoopDelay } from 'node:perf_hooks';

import { serveArgs, startProcess } from './lib.mjs';
import { runQueryClient } from './query-client-run.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const { startServer } = await import(join(root, 'dist/app/server.js'));
const { loadConfig } = await import(join(root, 'dist/config/index.js'));

const READS = Number(process.env.BENCH_READS ?? 1_000_000);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 1000);
const CONCURRENCY = 16;
const READ_LEN = 100;
const CHROM_LEN = 50_000_000;
const log = (line) => process.stdout.write(`${line}\n`);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x) => `${x.toFixed(1)} ms`;

const dir = mkdtempSync(join(os.tmpdir(), 'seqhub-bench-genomics-'));
let server;
const extraHubs = [];
try {
  // --- data ---------------------------------------------------------------------------------
  let rng = 12345;
  const rand = () => (rng = (rng * 48271) % 2147483647) / 2147483647;
  const sam = join(dir, 'reads.sam');
  const out = createWriteStream(sam);
  out.write(`@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:${CHROM_LEN}\n`);
  const seq = 'ACGT'.repeat(READ_LEN / 4);
  const qual = 'I'.repeat(READ_LEN);
  const starts = Array.from(
    { length: READS },
    () => 1 + Math.floor(rand() * (CHROM_LEN - READ_LEN)),
  );
  starts.sort((a, b) => a - b);
  for (let i = 0; i < READS; i++) {
    const cigar = i % 10 === 0 ? '40M5D60M' : i % 7 === 0 ? '30M2I68M' : `${READ_LEN}M`;
    const flag = i % 50 === 0 ? 1024 : 0;
    if (!out.write(`r${i}\t${flag}\tchr1\t${starts[i]}\t60\t${cigar}\t*\t0\t0\t${seq}\t${qual}\n`))
      await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
  const bam = join(dir, 'reads.bam');
  execFileSync('samtools', ['view', '-b', '-o', bam, sam]);
  rmSync(sam);
  const vcfText = join(dir, 'calls.vcf');
  const vout = createWriteStream(vcfText);
  vout.write(
    `##fileformat=VCFv4.2\n##contig=<ID=chr1,length=${CHROM_LEN}>\n##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">\n##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n`,
  );
  const step = Math.floor(CHROM_LEN / RECORDS);
  for (let i = 0; i < RECORDS; i++) {
    const pos = 1 + i * step + Math.floor(rand() * (step - 1));
    if (!vout.write(`chr1\t${pos}\trs${i}\tA\tG\t50\tPASS\tDP=${i % 90}\tGT\t0/1\n`))
      await new Promise((r) => vout.once('drain', r));
  }
  await new Promise((r) => vout.end(r));
  log(`genomics bench: ${READS} reads, ${RECORDS} VCF records on chr1 (${CHROM_LEN} bp)`);

  // --- reference tools: indexing ------------------------------------------------------------
  const time = (cmd, args, opts = {}) => {
    const t = performance.now();
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], ...opts });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
    return performance.now() - t;
  };
  const refBam = join(dir, 'ref.bam');
  execFileSync('cp', [bam, refBam]);
  const tIndex = time('samtools', ['index', refBam]);
  const tDepth = time('sh', ['-c', `samtools depth -a ${refBam} > /dev/null`]);
  const refVcf = join(dir, 'ref.vcf.gz');
  const tBgzip = time('sh', ['-c', `bgzip -c ${vcfText} > ${refVcf}`]);
  const tTabix = time('tabix', ['-p', 'vcf', refVcf]);

  // --- the hub --------------------------------------------------------------------------------
  const dataDir = join(dir, 'hub');
  const config = loadConfig({
    env: { SEQHUB_LOG_LEVEL: 'silent', SEQHUB_MAX_SINGLE_PART_BYTES: String(4 * 1024 ** 3) },
    flags: { host: '127.0.0.1', port: '0', dataDir },
    cwd: dir,
  });
  server = await startServer(config);
  const token = server.adminToken;
  const api = (path, init = {}) =>
    fetch(`${server.url}/v1pre3/${path}`, {
      ...init,
      headers: {
        'x-access-token': token,
        'Content-Type': 'application/json',
        ...(init.headers ?? {}),
      },
    });
  const project = (
    await (
      await api('projects', { method: 'POST', body: JSON.stringify({ Name: 'bench' }) })
    ).json()
  ).Response;
  const result = (
    await (
      await api(`projects/${project.Id}/appresults`, {
        method: 'POST',
        body: JSON.stringify({ Name: 'r' }),
      })
    ).json()
  ).Response;
  const indexTime = async (name, bytes) => {
    const res = await api(`appresults/${result.Id}/files?name=${name}`, {
      method: 'POST',
      body: bytes,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    const file = (await res.json()).Response;
    const t = performance.now();
    await server.hub.services.indexer.idle();
    const now = (await (await api(`files/${file.Id}`)).json()).Response;
    if (now.IndexStatus !== 'ready')
      throw new Error(`${name}: ${now.IndexStatus} ${now.IndexMessage}`);
    return { id: file.Id, ms: performance.now() - t };
  };
  const bamUp = await indexTime('reads.bam', readFileSync(bam));
  const vcfUp = await indexTime('calls.vcf', readFileSync(vcfText));
  log(
    `indexing BAM: hub ${ms(bamUp.ms)} vs samtools index + depth -a ${ms(tIndex + tDepth)} (${(bamUp.ms / (tIndex + tDepth)).toFixed(2)}x; target <= 2x)`,
  );
  log(
    `indexing plain VCF: hub ${ms(vcfUp.ms)} vs bgzip + tabix -p vcf ${ms(tBgzip + tTabix)} (${(vcfUp.ms / (tBgzip + tTabix)).toFixed(2)}x; target <= 2x)`,
  );

  // --- queries ----------------------------------------------------------------------------------
  const coverageQuery = () => {
    const zoom = Math.floor(rand() * 8);
    const span = 128 * 2 ** zoom * (1 + Math.floor(rand() * 999));
    const s = 1 + Math.floor(rand() * (CHROM_LEN - span));
    return { s, e: s + span - 1, zoom };
  };
  const variantQuery = () => {
    // Records are ~1 per `step` bases: spans of up to 1,000 records.
    const span = step * (1 + Math.floor(rand() * 999));
    const s = 1 + Math.floor(rand() * (CHROM_LEN - span));
    return { s, e: s + span - 1 };
  };
  const coverageQueries = Array.from({ length: QUERIES }, coverageQuery);
  const variantQueries = Array.from({ length: QUERIES }, variantQuery);
  const coveragePath = (q, id = bamUp.id) =>
    `coverage/${id}/chr1?StartPos=${q.s}&EndPos=${q.e}&zoomLevel=${q.zoom}`;
  const variantPath = (q, id = vcfUp.id) =>
    `variantset/${id}/variants/chr1?StartPos=${q.s}&EndPos=${q.e}&Limit=1000`;
  // The queries come from a client in another process (bench/query-client.mjs), as a genome
  // browser's would, so this process spends its CPU on serving alone: its CPU time per query is
  // the hub's cost, which a busy machine inflates far less than the wall-clock percentiles.
  //
  // BENCH_HUB_PROCESSES=n (default 1) adds n-1 more hub processes on the same database and
  // files (`serve --no-workers`, as a lab scales out), the client spreading its in-flight
  // requests over them; the hub's CPU per query is then all of them together.
  for (let i = 1; i < Number(process.env.BENCH_HUB_PROCESSES ?? 1); i++) {
    const hub = startProcess(
      `extra hub ${i}`,
      serveArgs(dataDir, '--no-workers'),
      { ...process.env, SEQHUB_LOG_LEVEL: 'silent' },
      dir,
    );
    extraHubs.push({ ...hub, url: await hub.url });
  }
  const hubUrls = [server.url, ...extraHubs.map((h) => h.url)];
  const hubNote = hubUrls.length > 1 ? `, ${hubUrls.length} hub processes` : '';
  // CPU seconds of the extra hub processes so far (utime + stime from /proc, in clock ticks).
  const extraCpuMs = () =>
    extraHubs.reduce((t, { pid }) => {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return t + ((Number(f[11]) + Number(f[12])) * 1000) / 100;
    }, 0);
  const cpuPer = [];
  const bytesPer = [];
  // What stalls the hub's event loop while the queries run: the longest delay of a timer
  // (monitorEventLoopDelay, the loop's own view of a stall) and the garbage collections by kind,
  // so a tail can be told apart from a slow query.
  const stallsPer = [];
  const gcs = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push(e);
  }).observe({ entryTypes: ['gc'] });
  // One phase: the warm-up paths, then the measured ones, from one client over the same
  // connections; the meters (and `onMeasuring`, where a profile starts) start between the two.
  const run = async (paths, warmup, onMeasuring) => {
    let cpu0;
    let extra0;
    const delay = monitorEventLoopDelay({ resolution: 1 });
    const { latencies, bytes } = await runQueryClient(
      {
        url: hubUrls,
        token,
        paths: paths.map((p) => `/v1pre3/${p}`),
        warmup: warmup.map((p) => `/v1pre3/${p}`),
        concurrency: CONCURRENCY,
        okStatuses: [200, 404],
      },
      async () => {
        await onMeasuring?.();
        gcs.length = 0;
        delay.enable();
        extra0 = extraCpuMs();
        cpu0 = process.cpuUsage();
      },
    );
    const cpu = process.cpuUsage(cpu0);
    delay.disable();
    const major = gcs.filter((e) => e.detail?.kind === perf.NODE_PERFORMANCE_GC_MAJOR);
    const sum = (es) => es.reduce((t, e) => t + e.duration, 0);
    stallsPer.push(
      `loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms; ` +
        `GC ${gcs.length} (${sum(gcs).toFixed(0)} ms), major ${major.length} (${sum(major).toFixed(0)} ms, longest ${Math.max(0, ...major.map((e) => e.duration)).toFixed(1)} ms)`,
    );
    cpuPer.push(((cpu.user + cpu.system) / 1000 + extraCpuMs() - extra0) / paths.length);
    bytesPer.push(bytes / paths.length);
    return latencies;
  };
  // Each phase starts with a warm-up (BENCH_WARMUP_QUERIES random regions, 5,000 by default;
  // 0 measures a cold hub) on a second copy of the file, over the client's connections: a hub
  // serves for days, and without it the phase would measure the JIT compiling the request path
  // and the client connecting. The copy is another file to the hub (its own id, blocks, pages and
  // index), so the measured file's data is still cold: nothing of it is in the hub's caches
  // until the measured queries read it, and the answers all come from the stored file.
  const WARMUP = Number(process.env.BENCH_WARMUP_QUERIES ?? 5000);
  const warmBam = WARMUP > 0 ? await indexTime('warm.bam', readFileSync(bam)) : undefined;
  const warmVcf = WARMUP > 0 ? await indexTime('warm.vcf', readFileSync(vcfText)) : undefined;
  const warmup = (id, path, query) =>
    id ? Array.from({ length: WARMUP }, () => path(query(), id)) : [];
  // BENCH_PROFILE=file.cpuprofile: a V8 CPU profile of each query phase alone, coverage in
  // file-coverage.cpuprofile and variants in file-variants.cpuprofile (open them in Chrome
  // DevTools, or summarize with `node bench/profile-summary.mjs file-coverage.cpuprofile`).
  const profile = process.env.BENCH_PROFILE;
  const session = profile ? new (await import('node:inspector')).Session() : undefined;
  const post = (method, params) =>
    new Promise((ok, fail) => session.post(method, params, (e, r) => (e ? fail(e) : ok(r))));
  if (session) {
    session.connect();
    await post('Profiler.enable');
  }
  // BENCH_PROFILE_PHASE=coverage|variants: profile that phase alone (default: both, one file each).
  const phase = process.env.BENCH_PROFILE_PHASE;
  const profiled = async (name, paths, warm) => {
    const on = session && (!phase || phase === name);
    const latencies = await run(paths, warm, on ? () => post('Profiler.start') : undefined);
    if (on) {
      const { profile: p } = await post('Profiler.stop');
      writeFileSync(profile.replace(/(\.cpuprofile)?$/, `-${name}.cpuprofile`), JSON.stringify(p));
    }
    return latencies;
  };
  const cov = await profiled(
    'coverage',
    coverageQueries.map((q) => coveragePath(q)),
    warmup(warmBam?.id, coveragePath, coverageQuery),
  );
  const vars = await profiled(
    'variants',
    variantQueries.map((q) => variantPath(q)),
    warmup(warmVcf?.id, variantPath, variantQuery),
  );
  session?.disconnect();
  const refCov = coverageQueries
    .slice(0, 100)
    .map((q) =>
      time('sh', ['-c', `samtools depth -a -r chr1:${q.s}-${q.e} ${refBam} > /dev/null`]),
    );
  const refVar = variantQueries
    .slice(0, 100)
    .map((q) => time('sh', ['-c', `tabix ${refVcf} chr1:${q.s}-${q.e} > /dev/null`]));
  log(
    `coverage queries (16 concurrent${hubNote}): p50 ${ms(pct(cov, 50))}, p99 ${ms(pct(cov, 99))} (target p99 < 10 ms); hub CPU ${ms(cpuPer[0])} per query, ${(bytesPer[0] / 1024).toFixed(1)} KiB per answer; samtools depth -a -r (one process each, 100 of them): p50 ${ms(pct(refCov, 50))}, p99 ${ms(pct(refCov, 99))}`,
  );
  // "p99 < 10 ms at any zoom": each zoom's own p99 (of its ~1/8 of the queries).
  const byZoom = Array.from({ length: 8 }, (_, z) =>
    cov.filter((_, i) => coverageQueries[i].zoom === z),
  );
  log(
    `  coverage p99 by zoom level: ${byZoom.map((l, z) => `${z}: ${ms(pct(l, 99))} (${l.length})`).join(', ')}`,
  );
  log(`  coverage phase, in the hub: ${stallsPer[0]}`);
  log(
    `variant queries <= 1,000 records (16 concurrent${hubNote}): p50 ${ms(pct(vars, 50))}, p99 ${ms(pct(vars, 99))} (target p99 < 20 ms); hub CPU ${ms(cpuPer[1])} per query, ${(bytesPer[1] / 1024).toFixed(1)} KiB per answer; tabix (one process each, 100 of them): p50 ${ms(pct(refVar, 50))}, p99 ${ms(pct(refVar, 99))}`,
  );
  log(`  variant phase, in the hub: ${stallsPer[1]}`);
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(
    join(here, 'results', 'genomics.json'),
    `${JSON.stringify(
      {
        reads: READS,
        records: RECORDS,
        indexing: {
          bamMs: bamUp.ms,
          samtoolsMs: tIndex + tDepth,
          vcfMs: vcfUp.ms,
          htslibVcfMs: tBgzip + tTabix,
        },
        coverage: {
          p50: pct(cov, 50),
          p99: pct(cov, 99),
          p99ByZoom: byZoom.map((l) => pct(l, 99)),
          cpuMsPerQuery: cpuPer[0],
          samtoolsP50: pct(refCov, 50),
        },
        variants: {
          p50: pct(vars, 50),
          p99: pct(vars, 99),
          cpuMsPerQuery: cpuPer[1],
          tabixP50: pct(refVar, 50),
        },
        // Every query's latency in ms, so several runs can be pooled (see bench/README.md).
        latencies: { coverage: cov, variants: vars },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await Promise.all(extraHubs.map((h) => h.stop()));
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
}
