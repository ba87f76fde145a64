import { gunzipSync } from 'node:zlib';
import { runFolderSource } from '../../src/cli/commands/run-import.js';
import type { User } from '../../src/domain/index.js';
import { parseFastq, type FastqRecord } from '../../src/formats/index.js';
import type { TestHub } from './hub.js';

/** A v1pre3 JSON call: status and parsed body. */
export async function api(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/${path.startsWith('v2/') ? '' : 'v1pre3/'}${path}`, {
    method,
    headers: {
      'x-access-token': token,
      ...(body !== undefined && { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Imports a run folder into the hub as `owner`'s run (what `seqhub admin run import` does). */
export async function importRun(hub: TestHub, owner: User, folder: string): Promise<string> {
  const run = await hub.server.hub.services.runs.importFolder(
    owner.id,
    await runFolderSource(folder),
  );
  return run.id;
}

/** Polls the AppSession until it leaves Running; returns it (with every StatusSummary seen). */
export async function waitForSession(
  url: string,
  token: string,
  id: string,
  timeoutMs = 60_000,
): Promise<{ session: any; summaries: string[] }> {
  const summaries: string[] = [];
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api(url, token, 'GET', `appsessions/${id}`);
    const session = body.Response;
    if (summaries[summaries.length - 1] !== session.StatusSummary)
      summaries.push(session.StatusSummary);
    if (session.Status !== 'Running') return { session, summaries };
    if (Date.now() > until)
      throw new Error(`AppSession ${id} still Running: ${session.StatusSummary}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every item of a v1pre3 list (pages of 1000). */
export async function listAll(url: string, token: string, path: string): Promise<any[]> {
  const out: any[] = [];
  for (let offset = 0; ; offset += 1000) {
    const sep = path.includes('?') ? '&' : '?';
    const { status, body } = await api(
      url,
      token,
      'GET',
      `${path}${sep}Offset=${offset}&Limit=1000`,
    );
    if (status !== 200) throw new Error(`${path}: ${status} ${JSON.stringify(body)}`);
    out.push(...body.Response.Items);
    if (body.Response.Items.length < 1000) return out;
  }
}

/** Downloads a file's bytes. */
export async function download(url: string, token: string, fileId: string): Promise<Buffer> {
  const res = await fetch(`${url}/v1pre3/files/${fileId}/content`, {
    headers: { 'x-access-token': token },
  });
  if (res.status !== 200) throw new Error(`download ${fileId}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** The samples of a project with their files' FASTQ records, by file name. */
export async function projectFastqs(
  url: string,
  token: string,
  projectId: string,
): Promise<{ samples: any[]; records: Map<string, FastqRecord[]> }> {
  const samples = await listAll(url, token, `projects/${projectId}/samples`);
  const records = new Map<string, FastqRecord[]>();
  for (const s of samples) {
    for (const f of await listAll(url, token, `samples/${s.Id}/files`)) {
      const bytes = await download(url, token, f.Id);
      records.set(f.Name, parseFastq(gunzipSync(bytes).toString('latin1'), f.Name));
    }
  }
  return { samples, records };
}
