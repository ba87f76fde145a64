import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFolderSource } from '../../src/cli/commands/run-import.js';
import { backends, storages } from '../support/backends.js';
import { FilesClient, json, md5b64, sha256hex } from '../support/files-client.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { BIN, cleanEnv, serve } from '../support/processes.js';

/**
 * Moving an embedded hub to PostgreSQL + S3 (issue 10): a SQLite + local-files hub holding
 * projects, samples, files (single and multipart, one multipart still open), properties, shares
 * and a share link, an imported run, app sessions, an OAuth client and its token is copied with
 * `seqhub admin migrate-to`; a `serve` over the target then answers every read the source
 * answered, byte for byte, serves every file with its SHA-256, accepts the old tokens, and lets
 * the open upload finish.
 */

const pgBackend = backends().find((b) => b.kind === 'postgres');
const s3 = storages().find((s) => s.kind === 's3');
const sqlite = backends().find((b) => b.kind === 'sqlite')!;

const PART = 5 * 1024 * 1024;

describe.runIf(pgBackend && s3)('admin migrate-to: SQLite + local files to PostgreSQL + S3', () => {
  let source: TestHub;
  let dir: string;
  let target: { child: ChildProcess; url: string } | undefined;
  let dropTarget: (() => Promise<void>) | undefined;
  let targetEnv: Record<string, string>;

  /**
   * GETs as the source answered them: the origin replaced by a marker, and what moves with the
   * clock alone left out (a user's last-active time, a running session's duration).
   */
  const normal = (text: string, origin: string) =>
    text
      .split(origin)
      .join('ORIGIN')
      .replace(/"DateLastActive":"[^"]*"/g, '"DateLastActive":"-"')
      .replace(/"RunningDuration":\d+/g, '"RunningDuration":0');
  const answers = new Map<string, string>();
  const fileSums = new Map<string, string>();
  let owner: { token: string; id: string };
  let oauthToken: string;
  let openUpload: { fileId: string; rest: Uint8Array; whole: Uint8Array };
  let projectName: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seqhub-migrate-'));
    source = await startTestHub(sqlite);
    const s = source.server.hub.services;

    // People: an owner, a collaborator, an OAuth client and a token it obtained.
    const a = await source.newUser({ name: 'Owner' });
    const b = await source.newUser({ name: 'Collaborator' });
    owner = { token: a.token, id: a.user.id };
    const post = async (path: string, body: unknown, token = a.token) => {
      const res = await fetch(`${source.url}/v1pre3/${path}`, {
        method: 'POST',
        headers: { 'x-access-token': token, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, path).toBeLessThan(300);
      return (await json(res)).Response;
    };
    const { client, secret } = await s.oauth.createClient({
      name: 'Lab LIMS',
      redirectUris: ['https://lims.example/cb'],
    });
    const code = await s.oauth.issueCode(a.user, {
      client,
      redirectUri: 'https://lims.example/cb',
      scope: 'browse global',
      state: undefined,
    });
    const exchanged = await fetch(`${source.url}/v1pre3/oauthv2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: client.clientId,
        client_secret: secret,
        code,
        redirect_uri: 'https://lims.example/cb',
      }),
    });
    expect(exchanged.status).toBe(200);
    oauthToken = ((await exchanged.json()) as { access_token: string }).access_token;

    // Projects, samples, app results (each with its app session), properties, shares, a link.
    projectName = `Migrated ${randomBytes(3).toString('hex')}`;
    const project = await post('projects', { Name: projectName });
    const other = await post('projects', { Name: 'Second project' });
    const sample = await post(`projects/${project.Id}/samples`, { Name: 'NA12878' });
    const appResult = await post(`projects/${project.Id}/appresults`, { Name: 'alignment' });
    await post(`projects/${project.Id}/properties`, {
      Properties: [{ Type: 'String', Name: 'lab.batch', Description: 'batch', Content: 'B-7' }],
    });
    await post(`samples/${sample.Id}/properties`, {
      Properties: [{ Type: 'String[]', Name: 'lab.tags', Items: ['tumor', 'FFPE'] }],
    });
    await post(`projects/${project.Id}/collaborators`, { UserId: b.user.id, Access: 'Read' });
    await post(`projects/${project.Id}/links`, { Label: 'reviewers' });

    // Files: single uploads, a finished multipart upload, and one left open after its first part.
    const files = new FilesClient(source.url, a.token);
    for (const [name, bytes] of [
      ['reads.fastq', randomBytes(200_000)],
      ['empty.txt', Buffer.alloc(0)],
    ] as const) {
      const res = await files.upload('appresults', appResult.Id, name, 'out', bytes);
      expect(res.status).toBe(200);
    }
    const sres = await files.upload('samples', sample.Id, 's.fastq', '', randomBytes(1000));
    expect(sres.status).toBe(200);
    const multi = await files.initMultipart('appresults', appResult.Id, 'big.bam', 'out');
    const big = randomBytes(PART + 12_345);
    expect((await files.putPart(multi.body.Response.Id, 1, big.subarray(0, PART))).status).toBe(
      200,
    );
    expect((await files.putPart(multi.body.Response.Id, 2, big.subarray(PART))).status).toBe(200);
    expect((await files.setStatus(multi.body.Response.Id, 'complete')).status).toBe(200);
    const open = await files.initMultipart('appresults', appResult.Id, 'open.bam', 'out');
    const whole = randomBytes(PART + 999);
    expect((await files.putPart(open.body.Response.Id, 1, whole.subarray(0, PART))).status).toBe(
      200,
    );
    openUpload = { fileId: open.body.Response.Id, rest: whole.subarray(PART), whole };

    // A run imported from a real MiSeq run folder.
    const run = await s.runs.importFolder(
      a.user.id,
      await runFolderSource(resolve('test/fixtures/runs/miseq-130417')),
    );

    // Everything the owner can read, as the source answers it.
    const paths = [
      'users/current',
      'users/current/projects?SortBy=Id',
      `projects/${project.Id}`,
      `projects/${other.Id}`,
      `projects/${project.Id}/samples`,
      `projects/${project.Id}/appresults`,
      `projects/${project.Id}/properties`,
      `projects/${project.Id}/collaborators`,
      `samples/${sample.Id}`,
      `samples/${sample.Id}/properties`,
      `samples/${sample.Id}/files`,
      `appresults/${appResult.Id}`,
      `appresults/${appResult.Id}/files?Limit=100&SortBy=Id`,
      'users/current/appsessions?SortBy=Id',
      `appsessions/${appResult.AppSession.Id}`,
      `runs/${run.id}`,
      `runs/${run.id}/files?Limit=1000&SortBy=Path`,
      `runs/${run.id}/sequencingstats`,
      'users/current/runs',
    ];
    const ids = new Set<string>();
    for (const path of paths) {
      const res = await files.get(path);
      const text = await res.text();
      expect(res.status, path).toBe(200);
      answers.set(path, normal(text, source.url));
      for (const item of (JSON.parse(text) as any).Response.Items ?? [])
        if (item.Href?.includes('/files/')) ids.add(item.Id);
    }
    const links = await files.get(`projects/${project.Id}/links`);
    answers.set(
      `projects/${project.Id}/links`,
      (await links.text()).split(source.url).join('ORIGIN'),
    );
    for (const id of ids) {
      const { res, body } = await files.bytes(`files/${id}/content`);
      expect(res.status).toBe(200);
      fileSums.set(id, sha256hex(body));
    }
    expect(fileSums.size).toBeGreaterThan(10);
    await source.server.close();

    // The target: an empty PostgreSQL database and a fresh S3 prefix, as an environment file.
    const db = await pgBackend!.create();
    dropTarget = db.drop;
    targetEnv = { ...db.env, ...s3!.env(), SEQHUB_DATA_DIR: join(dir, 'target-data') };
    writeFileSync(
      join(dir, 'target.env'),
      Object.entries(targetEnv)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    );
  }, 180_000);

  afterAll(async () => {
    target?.child.kill('SIGTERM');
    await dropTarget?.();
    await source?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      env: cleanEnv({ SEQHUB_DATA_DIR: source.dataDir }),
      encoding: 'utf8',
      timeout: 120_000,
    });

  it('copies every row and object, verified, and refuses to copy into a hub that has data', async () => {
    const r = cli(['admin', 'migrate-to', '--to-env', join(dir, 'target.env')]);
    expect(r.stderr).toContain('rows: files');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^copied \d+ rows in \d+ tables and \d+ objects \(\d+ bytes\), every object's SHA-256 verified$/m,
    );

    const again = cli(['admin', 'migrate-to', '--to-env', join(dir, 'target.env')]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already holds users');
  });

  it('the hub over the target answers every read as the source did, with every file byte for byte', async () => {
    target = await serve(targetEnv);
    const files = new FilesClient(target.url, owner.token);
    for (const [path, before] of answers) {
      const res = await files.get(path);
      expect(res.status, path).toBe(200);
      expect(normal(await res.text(), target.url), path).toBe(before);
    }
    for (const [id, sum] of fileSums) {
      // S3 storage answers content with a redirect to a pre-signed URL: follow it.
      const res = await fetch(`${target.url}/v1pre3/files/${id}/content`, {
        headers: { 'x-access-token': owner.token },
      });
      expect(res.status).toBe(200);
      expect(sha256hex(new Uint8Array(await res.arrayBuffer())), `file ${id}`).toBe(sum);
    }
    // Search reads an index PostgreSQL rebuilt from the copied rows.
    const found = await json(
      await files.get(`search?query=${encodeURIComponent(projectName)}&scope=projects`),
    );
    expect(found.Response.Items.map((i: any) => i.Project?.Name ?? i.Name)).toContain(projectName);
  });

  it('old access and OAuth tokens work; the open multipart upload finishes; new ids do not collide', async () => {
    const current = await fetch(
      `${target!.url}/v1pre3/oauthv2/token/current?access_token=${oauthToken}`,
    );
    expect(current.status).toBe(200);
    expect(((await current.json()) as any).Response.Application.Name).toBe('Lab LIMS');

    const files = new FilesClient(target!.url, owner.token);
    const part = await files.putPart(openUpload.fileId, 2, openUpload.rest, {
      md5: md5b64(openUpload.rest),
    });
    expect(part.status).toBe(200);
    expect((await files.setStatus(openUpload.fileId, 'complete')).status).toBe(200);
    const res = await fetch(`${target!.url}/v1pre3/files/${openUpload.fileId}/content`, {
      headers: { 'x-access-token': owner.token },
    });
    expect(
      createHash('sha256')
        .update(new Uint8Array(await res.arrayBuffer()))
        .digest('hex'),
    ).toBe(sha256hex(openUpload.whole));

    const made = await fetch(`${target!.url}/v1pre3/projects`, {
      method: 'POST',
      headers: { 'x-access-token': owner.token, 'content-type': 'application/json' },
      body: JSON.stringify({ Name: 'After the move' }),
    });
    expect(made.status).toBe(200);
    const list = await json(await files.get('users/current/projects?Limit=100'));
    const ids = list.Response.Items.map((p: any) => p.Id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(3);
  });
});
