import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { Browser } from '../support/browser.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { BIN, cleanEnv } from '../support/processes.js';

/**
 * The client commands (issue 8) as a user runs them: the built CLI in its own process against a
 * real hub on 127.0.0.1 (in this process, so the CLI runs without blocking it), a temp HOME.
 */

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function seqhub(args: string[], env: Record<string, string>, onStdout?: (text: string) => void) {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    onStdout?.(stdout);
  });
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise<Result>((r) => child.on('close', (code) => r({ code, stdout, stderr })));
}

/** A port nothing listens on (just released by the OS). */
function closedPort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

const PASSWORD = 'correct horse battery';

describe.runIf(backends()[0])(
  'seqhub client commands (auth, list/get/create, properties, sharing, output)',
  () => {
    let hub: TestHub;
    let home: string;
    let env: Record<string, string>;
    let client: { clientId: string; secret: string };

    beforeAll(async () => {
      hub = await startTestHub(backends()[0]!);
      home = mkdtempSync(join(tmpdir(), 'seqhub-cli-home-'));
      env = { HOME: home };
      const created = await hub.server.hub.services.oauth.createClient({
        name: 'seqhub CLI',
        redirectUris: ['http://localhost/cb'],
      });
      client = { clientId: created.client.clientId, secret: created.secret };
    });
    afterAll(async () => {
      await hub?.close();
      rmSync(home, { recursive: true, force: true });
    });

    /** Runs `seqhub auth` and approves its code as `user` through the hub's pages. */
    async function login(email: string, config?: string, builtIn = false): Promise<Result> {
      let approving: Promise<void> | undefined;
      const r = await seqhub(
        [
          'auth',
          '--api-server',
          hub.url,
          ...(builtIn ? [] : ['--client-id', client.clientId]),
          ...(config ? ['--config', config] : []),
        ],
        builtIn ? env : { ...env, SEQHUB_CLIENT_SECRET: client.secret },
        (out) => {
          const url = /To sign in, open (\S+)/.exec(out)?.[1];
          if (!url || approving) return;
          approving = (async () => {
            const b = new Browser(hub.url);
            const first = await b.get(url);
            const signedIn = await b.submit(await b.get(first.location!), 0, {
              email,
              password: PASSWORD,
            });
            const entry = await b.get(signedIn.location!);
            const consent = await b.submit(entry, 0, {});
            const approved = await b.submit(consent, 0, { decision: 'approve' });
            expect(approved.body).toContain('Device connected');
          })();
        },
      );
      await approving;
      return r;
    }

    async function person(name: string) {
      const { user, token } = await hub.newUser({ name });
      await hub.server.hub.services.web.setPasswordOf(user, PASSWORD);
      return { user, token };
    }

    it(
      "auth with no client given uses the hub's built-in public client: no secret, device flow only",
      { timeout: 240_000 },
      async () => {
        const { user } = await person('Grace Hopper');
        const r = await login(user.email, 'builtin', true);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toContain(`as Grace Hopper <${user.email}>`);
        const me = await seqhub(['whoami', '-f', 'json', '--config', 'builtin'], env);
        expect(JSON.parse(me.stdout)).toMatchObject({ id: user.id });
        // The token names the built-in client; the client may not use the code flow.
        const token = /accessToken = (\w+)/.exec(
          readFileSync(join(home, '.seqhub', 'builtin.cfg'), 'utf8'),
        )![1]!;
        const details = await fetch(
          `${hub.url}/v1pre3/oauthv2/token/current?access_token=${token}`,
        );
        expect(JSON.stringify(await details.json())).toContain('seqhub CLI (built in)');
        const code = await fetch(`${hub.url}/v1pre3/oauthv2/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=authorization_code&client_id=seqhub-cli&code=x&redirect_uri=http://localhost/cb',
        });
        expect(code.status).toBe(400);
        expect(await code.json()).toMatchObject({ error: 'unauthorized_client' });
      },
    );

    it(
      'auth: device flow (URL and code shown, polled until approved), token saved 0600 under HOME; whoami in every format',
      { timeout: 240_000 },
      async () => {
        const { user } = await person('Ada Lovelace');
        const r = await login(user.email);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(
          new RegExp(`^To sign in, open ${hub.url}/oauth/device\\?code=[B-Z]{4}-[B-Z]{4}\\n`),
        );
        expect(r.stdout).toMatch(
          /\(or open \S+\/oauth\/device and enter the code [B-Z]{4}-[B-Z]{4}\)/,
        );
        const cfg = join(home, '.seqhub', 'default.cfg');
        expect(statSync(cfg).mode & 0o777).toBe(0o600);
        expect(statSync(join(home, '.seqhub')).mode & 0o777).toBe(0o700);
        const text = readFileSync(cfg, 'utf8');
        expect(text).toMatch(new RegExp(`^apiServer += ${hub.url}\\naccessToken = \\w+\\n$`));
        expect(r.stdout).toContain(`as Ada Lovelace <${user.email}>; token saved in ${cfg}`);

        // whoami reads the config; every output format.
        const json = await seqhub(['whoami', '-f', 'json'], env);
        expect(json.stderr).toBe('');
        expect(JSON.parse(json.stdout)).toMatchObject({
          id: user.id,
          name: 'Ada Lovelace',
          email: user.email,
          href: `v1pre3/users/${user.id}`,
        });
        const table = await seqhub(['whoami'], env);
        expect(table.stdout.split('\n').slice(0, 4)).toEqual([
          expect.stringMatching(/^\+-+\+-+\+-+\+$/),
          expect.stringMatching(/^\| id +\| name +\| email +\|$/),
          expect.stringMatching(/^\+-+\+-+\+-+\+$/),
          expect.stringMatching(
            new RegExp(`^\\| ${user.id} +\\| Ada Lovelace \\| ${user.email} \\|$`),
          ),
        ]);
        expect((await seqhub(['whoami', '-f', 'csv'], env)).stdout).toBe(
          `id,name,email\r\n${user.id},Ada Lovelace,${user.email}\r\n`,
        );
        expect((await seqhub(['whoami', '--terse'], env)).stdout).toBe(`${user.id}\n`);
        expect((await seqhub(['whoami', '-F', 'Name', '-F', 'id', '-f', 'csv'], env)).stdout).toBe(
          `Name,id\r\nAda Lovelace,${user.id}\r\n`,
        );

        // A named config; the environment overrides the file.
        const other = await person('Grace Hopper');
        expect((await login(other.user.email, 'lab2')).code).toBe(0);
        expect(statSync(join(home, '.seqhub', 'lab2.cfg')).mode & 0o777).toBe(0o600);
        expect((await seqhub(['whoami', '--config', 'lab2', '--terse'], env)).stdout).toBe(
          `${other.user.id}\n`,
        );
        expect(
          (await seqhub(['whoami', '--terse'], { ...env, SEQHUB_ACCESS_TOKEN: other.token }))
            .stdout,
        ).toBe(`${other.user.id}\n`);
      },
    );

    it(
      'create, list and get projects, samples, app results, runs; filters and sorting; json/csv/table/terse',
      { timeout: 240_000 },
      async () => {
        const { token } = await person('Lister');
        const e = { ...env, SEQHUB_API_SERVER: hub.url, SEQHUB_ACCESS_TOKEN: token };
        const created = await seqhub(
          ['create', 'project', '--name', 'Exome, "2026"', '--terse'],
          e,
        );
        expect(created.stderr).toBe('');
        const pid = created.stdout.trim();
        expect(created.stdout).toMatch(/^[1-9]\d*\n$/);
        // As BaseSpace: the same name answers the same project.
        expect(
          (await seqhub(['create', 'project', '--name', 'Exome, "2026"', '--terse'], e)).stdout,
        ).toBe(`${pid}\n`);
        const p2 = (
          await seqhub(['create', 'project', '-n', 'Amplicons', '--terse'], e)
        ).stdout.trim();

        const list = await seqhub(['list', 'projects', '-f', 'json'], e);
        const projects = JSON.parse(list.stdout) as any[];
        expect(projects.map((p) => p.name).sort()).toEqual(['Amplicons', 'Exome, "2026"']);
        expect(projects[0]).toMatchObject({ userOwnedBy: { name: 'Lister' }, totalSize: 0 });
        expect(projects[0].hrefBaseSpaceUI ?? projects[0].href).toBeTruthy();

        // csv: RFC 4180 quoting of the comma and the quotes.
        const csv = await seqhub(
          ['list', 'projects', '--sort-by', 'name', '-F', 'id', '-F', 'name', '-f', 'csv'],
          e,
        );
        expect(csv.stdout).toBe(`id,name\r\n${p2},Amplicons\r\n${pid},"Exome, ""2026"""\r\n`);
        expect(
          (await seqhub(['list', 'projects', '--filter-term', '^exo', '--terse'], e)).stdout,
        ).toBe(`${pid}\n`);
        expect(
          (await seqhub(['list', 'projects', '--newer-than', '1h', '--terse'], e)).stdout.split(
            '\n',
          ).length,
        ).toBe(3);
        expect(
          (await seqhub(['list', 'projects', '--newer-than', '2999-01-01', '--terse'], e)).stdout,
        ).toBe('');
        const empty = await seqhub(
          ['list', 'projects', '--filter-term', 'nothing', '-f', 'json'],
          e,
        );
        expect(JSON.parse(empty.stdout)).toEqual([]);

        const get = await seqhub(['get', 'project', '--id', pid, '-f', 'json'], e);
        expect(JSON.parse(get.stdout)).toMatchObject({ id: pid, name: 'Exome, "2026"' });
        expect(Array.isArray(JSON.parse(get.stdout))).toBe(false);
        const table = (await seqhub(['get', 'project', '-i', pid], e)).stdout.split('\n');
        expect(table[1]).toMatch(/^\| id +\| name +\| totalSize \| dateCreated +\|$/);

        const sid = (
          await seqhub(['create', 'sample', '--project', pid, '--name', 'NA12878', '--terse'], e)
        ).stdout.trim();
        const sample = JSON.parse(
          (await seqhub(['get', 'sample', '-i', sid, '-f', 'json'], e)).stdout,
        );
        expect(sample).toMatchObject({ id: sid, name: 'NA12878', sampleId: 'NA12878' });
        expect(
          (await seqhub(['list', 'samples', '--project', pid, '-F', 'name', '-f', 'csv'], e))
            .stdout,
        ).toBe('name\r\nNA12878\r\n');
        const aid = (
          await seqhub(['create', 'appresult', '--project', pid, '--name', 'Calls', '--terse'], e)
        ).stdout.trim();
        expect((await seqhub(['list', 'appresults', '--project', pid, '--terse'], e)).stdout).toBe(
          `${aid}\n`,
        );
        const sessions = JSON.parse(
          (await seqhub(['list', 'appsessions', '-f', 'json'], e)).stdout,
        );
        expect(sessions).toHaveLength(2);
        const session = JSON.parse(
          (await seqhub(['get', 'appsession', '--id', sessions[0].id, '-f', 'json'], e)).stdout,
        );
        expect(session.id).toBe(sessions[0].id);
        const rid = (
          await seqhub(['create', 'run', '--name', 'RUN_1', '--terse'], e)
        ).stdout.trim();
        expect(
          JSON.parse(
            (await seqhub(['list', 'runs', '--status', 'Uploading', '-f', 'json'], e)).stdout,
          ),
        ).toMatchObject([{ id: rid, name: 'RUN_1', status: 'Uploading' }]);
        expect((await seqhub(['list', 'files', '--run', rid, '-f', 'json'], e)).stdout.trim()).toBe(
          '[]',
        );
        const genomes = await seqhub(['list', 'genomes', '-f', 'json'], e);
        expect(genomes.code).toBe(0);
        expect(Array.isArray(JSON.parse(genomes.stdout))).toBe(true);
      },
    );

    it('properties: set (string and list), get, list, delete', { timeout: 240_000 }, async () => {
      const { token } = await person('Props');
      const e = { ...env, SEQHUB_API_SERVER: hub.url, SEQHUB_ACCESS_TOKEN: token };
      const pid = (await seqhub(['create', 'project', '--name', 'P', '--terse'], e)).stdout.trim();
      const set = await seqhub(
        [
          'property',
          'set',
          'project',
          '--id',
          pid,
          '--name',
          'lab.tissue',
          '--value',
          'liver',
          '-f',
          'json',
        ],
        e,
      );
      expect(set.stderr).toBe('');
      expect(JSON.parse(set.stdout)).toMatchObject({
        name: 'lab.tissue',
        type: 'string',
        value: 'liver',
      });
      await seqhub(
        ['property', 'set', 'projects', '-i', pid, '-n', 'lab.tags', '-v', 'exome', '-v', 'a,b'],
        e,
      );
      const got = await seqhub(
        ['property', 'get', 'project', '-i', pid, '-n', 'lab.tags', '-f', 'csv'],
        e,
      );
      expect(got.stdout).toBe('name,type,value\r\nlab.tags,string[],"[""exome"",""a,b""]"\r\n');
      const all = JSON.parse(
        (await seqhub(['property', 'get', 'project', '-i', pid, '-f', 'json'], e)).stdout,
      );
      expect(all.map((p: any) => p.name).sort()).toEqual(['lab.tags', 'lab.tissue']);
      const del = await seqhub(['property', 'delete', 'project', '-i', pid, '-n', 'lab.tissue'], e);
      expect(del).toMatchObject({ code: 0, stdout: '', stderr: '' });
      const gone = await seqhub(['property', 'get', 'project', '-i', pid, '-n', 'lab.tissue'], e);
      expect(gone.code).toBe(7);
      expect(gone.stderr).toMatch(/^seqhub: not found: .*\(HTTP 404 .*\)\n$/);
    });

    it(
      'share a project with a second user, who then lists and reads it; unshare',
      { timeout: 240_000 },
      async () => {
        const owner = await person('Owner');
        const reader = await person('Reader');
        const e = { ...env, SEQHUB_API_SERVER: hub.url, SEQHUB_ACCESS_TOKEN: owner.token };
        const re = { ...env, SEQHUB_API_SERVER: hub.url, SEQHUB_ACCESS_TOKEN: reader.token };
        const pid = (
          await seqhub(['create', 'project', '--name', 'Shared', '--terse'], e)
        ).stdout.trim();
        expect((await seqhub(['get', 'project', '-i', pid], re)).code).toBe(7);
        const share = await seqhub(
          [
            'share',
            'project',
            '--id',
            pid,
            '--user',
            reader.user.email,
            '--level',
            'READ',
            '-f',
            'json',
          ],
          e,
        );
        expect(share.stderr).toBe('');
        expect(JSON.parse(share.stdout)).toMatchObject({
          access: 'Read',
          user: { id: reader.user.id, email: reader.user.email },
        });
        expect((await seqhub(['list', 'projects', '--terse'], re)).stdout).toBe(`${pid}\n`);
        // READ cannot write: exit 3 (403); WRITE can.
        const denied = await seqhub(
          ['create', 'sample', '--project', pid, '-n', 'S', '--terse'],
          re,
        );
        expect({ code: denied.code, stdout: denied.stdout }).toEqual({ code: 3, stdout: '' });
        expect(denied.stderr).toMatch(/^seqhub: not allowed: .*\(HTTP 403 Forbidden\)\n$/);
        await seqhub(['share', 'project', '-i', pid, '-u', reader.user.email, '-l', 'write'], e);
        const made = await seqhub(['create', 'sample', '--project', pid, '-n', 'S', '--terse'], re);
        expect(made).toMatchObject({ code: 0, stderr: '' });
        const un = await seqhub(
          ['unshare', 'project', '--id', pid, '--user', reader.user.email],
          e,
        );
        expect(un).toMatchObject({ code: 0, stderr: '' });
        expect((await seqhub(['list', 'projects', '--terse'], re)).stdout).toBe('');
        const again = await seqhub(
          ['unshare', 'project', '--id', pid, '--user', reader.user.email],
          e,
        );
        expect(again.code).toBe(7);
        expect(again.stderr).toBe(
          `seqhub: project ${pid} is not shared with ${reader.user.email}\n`,
        );
      },
    );

    it(
      'bad input: one line on stderr, nothing on stdout, the documented exit code',
      { timeout: 240_000 },
      async () => {
        const { token } = await person('Bad');
        const e = { ...env, SEQHUB_API_SERVER: hub.url, SEQHUB_ACCESS_TOKEN: token };
        const revoked = await person('Revoked');
        const res = await fetch(`${hub.url}/v1pre3/oauthv2/token/current`, {
          method: 'DELETE',
          headers: { 'x-access-token': revoked.token },
        });
        expect(res.status).toBe(200);
        const closed = await closedPort();
        const cases: [string[], Record<string, string>, number, RegExp][] = [
          [['get', 'project', '--id', '987654'], e, 7, /^seqhub: not found: .*\(HTTP 404 /],
          [['get', 'sample', '--id', 'abc'], e, 7, /^seqhub: not found: /],
          [['list', 'samples', '--project', '987654'], e, 7, /^seqhub: not found: /],
          [
            ['whoami'],
            { ...e, SEQHUB_ACCESS_TOKEN: revoked.token },
            3,
            /^seqhub: the hub refused the access token: .*\(HTTP 401 /,
          ],
          [
            ['whoami'],
            { ...e, SEQHUB_ACCESS_TOKEN: 'not-a-token' },
            3,
            /^seqhub: the hub refused the access token: /,
          ],
          [
            ['whoami'],
            { ...e, SEQHUB_API_SERVER: `http://127.0.0.1:${closed}` },
            5,
            new RegExp(`^seqhub: cannot reach http://127\\.0\\.0\\.1:${closed}: ECONNREFUSED$`),
          ],
          [
            ['whoami'],
            { HOME: mkdtempSync(join(tmpdir(), 'seqhub-empty-home-')) },
            2,
            /^seqhub: no hub given: /,
          ],
          [
            ['whoami'],
            { ...e, SEQHUB_API_SERVER: 'ftp://x' },
            2,
            /^seqhub: the hub address must be an http\(s\) URL/,
          ],
          [['whoami', '--config', '../etc'], e, 2, /^seqhub: --config must be a name/],
          [['list', 'projects', '--bogus'], e, 1, /^seqhub: unknown option '--bogus'$/],
          [
            ['list', 'projects', '-f', 'xml'],
            e,
            1,
            /^seqhub: option '-f, --format <format>' argument 'xml' is invalid/,
          ],
          [['get', 'project'], e, 1, /^seqhub: required option '-i, --id <id>' not specified$/],
          [['list', 'samples'], e, 2, /^seqhub: --project ID is required to list samples$/],
          [
            ['list', 'files', '--run', '1', '--sample', '2'],
            e,
            2,
            /^seqhub: give exactly one of --run, --sample or --appresult ID$/,
          ],
          [
            ['list', 'projects', '--newer-than', 'soon'],
            e,
            2,
            /^seqhub: --newer-than takes a duration/,
          ],
          [
            ['list', 'projects', '--filter-term', '('],
            e,
            2,
            /^seqhub: --filter-term is not a valid regular expression/,
          ],
          [['whoami', '-F', 'nope'], e, 2, /^seqhub: no field 'nope' in these records/],
          [['share', 'project', '--id', '987654', '--user', 'x@y.z'], e, 7, /^seqhub: not found: /],
          [['create', 'project', '--name', ''], e, 4, /^seqhub: the hub refused: .*\(HTTP 400 /],
          [
            ['auth', '--api-server', hub.url, '--client-id', 'abc'],
            { HOME: home },
            2,
            /^seqhub: no secret for OAuth client abc: /,
          ],
          [['completion', 'fish'], e, 1, /^seqhub: command-argument value 'fish' is invalid/],
        ];
        // Four at a time: each is a process start, mostly waiting on a shared machine.
        const results: Result[] = [];
        for (let i = 0; i < cases.length; i += 4)
          results.push(
            ...(await Promise.all(cases.slice(i, i + 4).map(([a, ce]) => seqhub(a, ce)))),
          );
        for (const [n, [args, , code, message]] of cases.entries()) {
          const r = results[n]!;
          expect({ args, code: r.code }).toEqual({ args, code });
          expect(r.stdout, args.join(' ')).toBe('');
          const lines = r.stderr.trimEnd().split('\n');
          expect(lines, args.join(' ')).toHaveLength(1);
          expect(lines[0]).toMatch(message);
        }
      },
    );

    it('bash and zsh completion complete commands and options', () => {
      const script = spawnSync(process.execPath, [BIN, 'completion', 'bash'], {
        env: cleanEnv(env),
        encoding: 'utf8',
      }).stdout;
      const complete = (words: string[]) =>
        spawnSync(
          'bash',
          [
            '-c',
            `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _seqhub; echo "\${COMPREPLY[*]}"`,
          ],
          { encoding: 'utf8' },
        ).stdout.trim();
      expect(complete(['seqhub', 'li'])).toBe('list');
      expect(complete(['seqhub', 'list', 'pro'])).toBe('projects project');
      expect(complete(['seqhub', 'list', 'projects', '--filter-'])).toBe(
        '--filter-term --filter-field',
      );
      expect(complete(['seqhub', 'property', 'set', 'sample', '--va'])).toBe('--value');
      const zsh = spawnSync(process.execPath, [BIN, 'completion', 'zsh'], {
        env: cleanEnv(env),
        encoding: 'utf8',
      });
      expect(zsh.stdout).toMatch(
        /^#compdef seqhub\nautoload -U \+X bashcompinit && bashcompinit\n/,
      );
    });
  },
);
