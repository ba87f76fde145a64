import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storages } from '../support/backends.js';
import { FilesClient, json, md5hex, randomData } from '../support/files-client.js';
import { BIN, cleanEnv, serve } from '../support/processes.js';

/**
 * kill -9 in the middle of uploads: a real `seqhub serve` process is killed while a single-part
 * upload and a part of a multipart upload are half sent, then restarted on the same data.
 */

/** A request body that sends `head` and then stalls, as a client whose connection is about to drop. */
function stalledBody(head: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(head);
    },
  });
}

function walk(dir: string): string[] {
  let out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    out = entry.isDirectory() ? [...out, ...walk(full)] : [...out, full];
  }
  return out;
}

describe.each(storages())('kill -9 during uploads, $kind storage', (storage) => {
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-fault-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps completed files intact, hides the interrupted one, and resumes the multipart one', async () => {
    const env = {
      SEQHUB_DATA_DIR: join(dir, 'data'),
      SEQHUB_LOG_LEVEL: 'silent',
      ...storage.env(),
    };
    const first = await serve(env);
    const token = first.token!;
    const files = new FilesClient(first.url, token);
    const post = (path: string, body: unknown) =>
      fetch(`${first.url}/v1pre3/${path}`, {
        method: 'POST',
        headers: { 'x-access-token': token, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }).then(json);
    const project = (await post('projects', { Name: 'Fault' })).Response;
    const result = (await post(`projects/${project.Id}/appresults`, { Name: 'run' })).Response;

    // Completed before the crash: a single-part file and a multipart file.
    const a = randomData(2_000_000);
    const fileA = (await json(await files.upload('appresults', result.Id, 'a.bin', '', a)))
      .Response;
    const b = [randomData(600_000), randomData(400_000)];
    const fileB = (await files.initMultipart('appresults', result.Id, 'b.bin')).body.Response;
    for (const [i, part] of b.entries())
      expect((await files.putPart(fileB.Id, i + 1, part)).status).toBe(200);
    expect((await files.setStatus(fileB.Id, 'complete')).status).toBe(200);

    // In flight at the crash: a single-part upload and part 3 of a multipart upload.
    const c = [randomData(500_000), randomData(500_000), randomData(300_000)];
    const fileC = (await files.initMultipart('appresults', result.Id, 'c.bin')).body.Response;
    for (const n of [1, 2]) expect((await files.putPart(fileC.Id, n, c[n - 1]!)).status).toBe(200);
    const inFlight = [
      fetch(`${first.url}/v1pre3/appresults/${result.Id}/files?name=d.bin&directory=`, {
        method: 'POST',
        headers: {
          'x-access-token': token,
          'Content-Type': 'application/octet-stream',
          'Content-Length': '4000000',
        },
        body: stalledBody(randomData(1_000_000)),
        duplex: 'half',
      } as RequestInit),
      fetch(`${first.url}/v1pre3/files/${fileC.Id}/parts/3`, {
        method: 'PUT',
        headers: { 'x-access-token': token, 'Content-Length': '300000' },
        body: stalledBody(c[2]!.subarray(0, 150_000)),
        duplex: 'half',
      } as RequestInit),
    ].map((p) =>
      p.then(
        () => 'answered',
        () => 'dropped',
      ),
    );
    await new Promise((r) => setTimeout(r, 700));
    first.child.kill('SIGKILL');
    expect(await Promise.all(inFlight)).toEqual(['dropped', 'dropped']);

    const second = await serve(env);
    try {
      const after = new FilesClient(second.url, token);
      // Completed files: intact, byte for byte.
      expect(md5hex((await after.bytes(`files/${fileA.Id}/content`)).body)).toBe(md5hex(a));
      expect(md5hex((await after.bytes(`files/${fileB.Id}/content`)).body)).toBe(
        md5hex(new Uint8Array(Buffer.concat(b))),
      );
      // The interrupted single-part upload is nowhere.
      const listed = (await json(await after.get(`appresults/${result.Id}/files?Limit=100`)))
        .Response.Items;
      expect(listed.map((f: { Name: string }) => f.Name).sort()).toEqual(['a.bin', 'b.bin']);
      // The multipart upload resumes: parts 1 and 2 are held, 3 is sent again, and it completes.
      const held = (await json(await after.get(`files/${fileC.Id}/parts`))).Response.Items;
      expect(held.map((p: { Number: number }) => p.Number)).toEqual([1, 2]);
      expect((await after.putPart(fileC.Id, 3, c[2]!)).status).toBe(200);
      const done = (await json(await after.setStatus(fileC.Id, 'complete'))).Response;
      const wholeC = new Uint8Array(Buffer.concat(c));
      expect(done).toMatchObject({
        UploadStatus: 'complete',
        Size: wholeC.length,
        ETag: md5hex(wholeC),
      });
      expect(md5hex((await after.bytes(`files/${fileC.Id}/content`)).body)).toBe(md5hex(wholeC));
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }

    // Cleanup leaves exactly the three complete files' bytes and nothing else.
    const gc = spawnSync(process.execPath, [BIN, 'admin', 'gc', '--grace', '0'], {
      env: cleanEnv(env),
      encoding: 'utf8',
    });
    expect(gc.status, gc.stderr).toBe(0);
    expect(gc.stdout).toMatch(/^removed 1 unfinished upload\(s\) and \d+ stored object\(s\)\n$/);
    if (storage.kind === 'local') {
      const blobs = join(dir, 'data', 'blobs');
      const left = walk(blobs).map((f) => relative(blobs, f));
      expect(left.sort()).toEqual(
        [fileA.Id, fileB.Id, fileC.Id]
          .map((id) => `files/${id.slice(-2).padStart(2, '0')}/${id}`)
          .sort(),
      );
      expect(
        statSync(
          join(
            blobs,
            left.find((f) => f.endsWith(`/${fileA.Id}`))!,
          ),
        ).size,
      ).toBe(a.length);
    }
  });
});
