import { execFileSync } from 'node:child_process';
import { backends, storages } from './backends.js';

/** CLI tests run the built `dist/` as a user would; build it once per test run. */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  const names = backends().map((b) => b.kind);
  const stores = storages().map((s) => s.kind);
  process.stdout.write(
    `seqhub tests: databases under test: ${names.join(', ')}; storage: ${stores.join(', ')}\n`,
  );
  if (process.env.CI === 'true' && !stores.includes('s3')) {
    throw new Error('CI must test S3 storage too: set SEQHUB_TEST_S3_ENDPOINT (see .ci/run)');
  }
  if (process.env.CI === 'true' && !names.includes('postgres')) {
    throw new Error('CI must test PostgreSQL too: set SEQHUB_TEST_POSTGRES_URL (see .ci/run)');
  }
}
