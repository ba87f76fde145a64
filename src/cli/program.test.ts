import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, runCli } from './program.js';
import type { CliRuntime } from './runtime.js';

function fakeRuntime(): { rt: CliRuntime; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const unused = () => Promise.reject(new Error('not in this test'));
  return {
    out,
    err,
    rt: {
      env: {},
      cwd: '/',
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      tty: false,
      progress: () => undefined,
      openHub: unused,
      startServer: unused,
      startWorker: unused,
      migrateDatabase: unused,
      checkHub: unused,
      transferHub: unused,
      openApiDocument: unused,
      readStdin: unused,
      untilStopped: () => new Promise(() => undefined),
    },
  };
}

/** Every command that runs something (no subcommands), as its argv path. */
function leaves(command: Command, path: string[] = []): string[][] {
  const visible = command.commands.filter((c) => !(c as unknown as { _hidden: boolean })._hidden);
  if (visible.length === 0) return [path];
  return visible.flatMap((c) => leaves(c, [...path, c.name()]));
}

const OPERATOR = new Set(['serve', 'admin', 'run import']);

describe('seqhub --help', () => {
  it('every client command prints help with examples and exits 0', async () => {
    const paths = leaves(buildProgram(fakeRuntime().rt, '0.0.0')).filter(
      (p) => !OPERATOR.has(p[0]!) && !OPERATOR.has(p.slice(0, 2).join(' ')) && p[0] !== 'admin',
    );
    expect(paths.map((p) => p.join(' '))).toEqual(
      expect.arrayContaining([
        'auth',
        'whoami',
        'list projects',
        'get genome',
        'create project',
        'property set',
        'share',
        'unshare',
        'completion',
        'run upload',
      ]),
    );
    for (const path of paths) {
      const { rt, out } = fakeRuntime();
      expect(await runCli([...path, '--help'], rt, '0.0.0'), path.join(' ')).toBe(0);
      expect(out.join('\n'), path.join(' ')).toMatch(/\nExamples:\n {2}\S/);
    }
  });
});
