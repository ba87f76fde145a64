#!/usr/bin/env node
import { runCli, type CliRuntime } from '../cli/index.js';
import { VERSION } from './version.js';

// The AWS SDK warns on every start that releases after January 2027 need Node 22; our lock file
// pins a release that supports Node 20, so the warning only alarms operators.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The composition root's entry point: the only place that reads process.env and argv. */
const runtime: CliRuntime = {
  env: process.env,
  cwd: process.cwd(),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  tty: Boolean(process.stdout.isTTY && process.stderr.isTTY),
  progress: (text) => process.stderr.write(text),
  // Loaded when a command needs them: client commands (`run upload`) then start in a fraction of
  // the time, without Fastify, the database drivers and the AWS SDK.
  openHub: async (config) => (await import('./hub.js')).openHub(config),
  startServer: async (config) => (await import('./server.js')).startServer(config),
  startWorker: async (config, log) => (await import('./worker.js')).startWorker(config, log),
  openApiDocument: async () => (await import('./server.js')).openApiDocument(),
  migrateDatabase: async (config) => (await import('./admin.js')).migrateDatabase(config),
  checkHub: async (config) => (await import('./admin.js')).checkHub(config),
  transferHub: async (source, target, onProgress) =>
    (await import('./transfer.js')).transferHub(source, target, onProgress),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  untilStopped: () =>
    new Promise((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const)
        process.once(signal, () => resolve(signal));
    }),
};

const code = await runCli(process.argv.slice(2), runtime, VERSION);
process.exitCode = code;
