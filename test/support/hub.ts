import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/app/server.js';
import { loadConfig } from '../../src/config/index.js';
import type { Run, User } from '../../src/domain/index.js';
import type { NewRun } from '../../src/ports.js';
import type { Backend, Storage } from './backends.js';

/** A real hub on 127.0.0.1 (random port) over a fresh database and data dir. */
export interface TestHub {
  url: string;
  server: RunningServer;
  dataDir: string;
  adminToken: string;
  /** Creates a user and a token (full access unless a scope is given). */
  newUser(options?: { scope?: string; name?: string }): Promise<{ user: User; token: string }>;
  tokenFor(user: User, scope?: string): Promise<string>;
  createRun(owner: User, fields?: Partial<NewRun>): Promise<Run>;
  close(): Promise<void>;
}

let userCounter = 0;

export interface TestHubOptions {
  /** Where file bytes go (default local). */
  storage?: Storage;
  /** Extra settings, e.g. SEQHUB_SIGNED_URL_TTL. */
  env?: Record<string, string>;
}

export async function startTestHub(
  backend: Backend,
  options: TestHubOptions = {},
): Promise<TestHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'seqhub-test-'));
  const database = await backend.create();
  const config = loadConfig({
    env: {
      ...database.env,
      ...(options.storage?.env() ?? {}),
      ...options.env,
      SEQHUB_LOG_LEVEL: 'silent',
    },
    flags: { host: '127.0.0.1', port: '0', dataDir },
    cwd: dataDir,
  });
  const server = await startServer(config);
  const services = server.hub.services;
  const tokenFor = async (user: User, scope?: string) =>
    (await services.auth.createToken(user.id, scope)).token;
  return {
    url: server.url,
    server,
    dataDir,
    adminToken: server.adminToken!,
    tokenFor,
    async newUser(options = {}) {
      userCounter += 1;
      const user = await services.auth.createUser({
        email: `user${userCounter}-${process.pid}@lab.example`,
        name: options.name ?? `Test User ${userCounter}`,
      });
      return { user, token: await tokenFor(user, options.scope) };
    },
    createRun: (owner, fields = {}) =>
      services.runs.createRecord({
        ownerId: owner.id,
        name: 'RUN',
        experimentName: 'Experiment',
        number: 1,
        status: 'Complete',
        platformName: 'MiSeq',
        instrumentName: 'M00001',
        instrumentType: 'MiSeq',
        instrumentSerialNumber: 'M00001',
        flowcellBarcode: 'A1B2C',
        reagentBarcode: 'MS1234',
        workflow: 'GenerateFASTQ',
        numCyclesRead1: 151,
        numCyclesRead2: 151,
        numCyclesIndex1: 8,
        numCyclesIndex2: 8,
        uploadStartedAt: undefined,
        uploadCompletedAt: undefined,
        totalSize: 0,
        ...fields,
      }),
    async close() {
      await server.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
