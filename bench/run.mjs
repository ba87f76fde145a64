// `npm run bench`: builds (see package.json), then runs every benchmark in bench/. There is one
// so far; see bench/README.md.
await import('./samples-pages.mjs');
await import('./search.mjs');
