import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web UI (issue 9): `src/ui` built into `dist/ui`, served by `seqhub serve` under /app/.
 * Hashed asset names (Vite's default) let the server cache them for a year.
 */
export default defineConfig({
  root: fileURLToPath(new URL('./src/ui', import.meta.url)),
  base: '/app/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // igv.js is ~1.5 MB minified: it is its own chunk, loaded only by the file viewer page.
    chunkSizeWarningLimit: 2000,
  },
});
