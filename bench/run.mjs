// `npm run bench`: builds (see package.json), then runs every benchmark in bench/, one after the
// other. BENCH picks some: `BENCH=files npm run bench`, `BENCH=samples-pages,search npm run bench`.
// See bench/README.md.
const benchmarks = {
  'samples-pages': './samples-pages.mjs',
  search: './search.mjs',
  files: './files.mjs',
  demux: './demux.mjs',
  'demux-job': './demux-job.mjs',
  genomics: './genomics.mjs',
  download: './download.mjs',
  scale: './scale.mjs',
  load: './load.mjs',
};
const chosen = (process.env.BENCH?.trim() || Object.keys(benchmarks).join(','))
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean);
for (const name of chosen) {
  if (!(name in benchmarks))
    throw new Error(
      `BENCH: unknown benchmark '${name}'; one of ${Object.keys(benchmarks).join(', ')}`,
    );
}
for (const name of chosen) await import(benchmarks[name]);
