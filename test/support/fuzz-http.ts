import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { DbHandle } from '../../src/adapters/db/index.js';
import { ErrorCodes } from '../../src/domain/index.js';

/** One answer as the fuzzer sees it; `status` 0 = the server closed the connection unanswered. */
export interface FuzzReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface FuzzRequest {
  method: string;
  /** Already encoded path and query, exactly as sent on the request line. */
  target: string;
  headers: Record<string, string>;
  body?: Uint8Array | undefined;
}

/** A hung request is a bug (the server must answer or refuse); this bounds each case. */
export const REQUEST_TIMEOUT_MS = 15_000;

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** Sends a well-formed HTTP/1.1 request through a keep-alive agent (Node validates the framing). */
export function send(base: string, req: FuzzRequest): Promise<FuzzReply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const r = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.target,
        headers: { ...req.headers, 'content-length': String(req.body?.length ?? 0) },
        agent,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`timeout after ${REQUEST_TIMEOUT_MS} ms`)));
    r.on('error', (error: NodeJS.ErrnoException) => {
      // The server may refuse a large body before reading it (413) and close the socket while
      // we still write: an answer already given was resolved above; otherwise it was unanswered.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE')
        resolve({ status: 0, headers: {}, text: '' });
      else reject(error);
    });
    if (req.body?.length) r.write(req.body);
    r.end();
  });
}

/**
 * Writes raw bytes on a fresh socket (request smuggling shapes, control characters in headers,
 * bodies shorter than their Content-Length) and reads until the server closes or goes quiet.
 */
export function sendRaw(base: string, bytes: Uint8Array, quietMs = 500): Promise<FuzzReply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRawReply(Buffer.concat(chunks)));
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    };
    socket.on('connect', () => {
      socket.write(bytes);
      arm();
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      arm();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') finish();
      else reject(error);
    });
  });
}

/** The first response in `raw` (status line, headers, body by Content-Length or chunks). */
export function parseRawReply(raw: Buffer): FuzzReply {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, text: raw.toString('latin1') };
  const head = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const out: Buffer[] = [];
    let at = 0;
    for (;;) {
      const eol = body.indexOf('\r\n', at);
      if (eol < 0) break;
      const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
      if (!(size > 0)) break;
      out.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = Buffer.concat(out);
  } else if (headers['content-length'] !== undefined) {
    body = body.subarray(0, Number(headers['content-length']));
  }
  return { status, headers, text: body.toString('utf8') };
}

function parse(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * What is wrong with an error reply, or undefined when it has the shape its API documents:
 * the BaseSpace envelope (spec 1.7) with a registered code of that very status; OAuth endpoints'
 * bare `{error, error_description}` (RFC 6749 5.2); htsget's `{htsget: {error, message}}`
 * (htsget 1.3); DRS's `{msg, status_code}` (DRS 1.4).
 */
export function errorShapeProblem(path: string, reply: FuzzReply): string | undefined {
  const body = parse(reply.text);
  const type = String(reply.headers['content-type'] ?? '');
  if (!/^application\/([\w.-]+\+)?json/.test(type))
    return `content-type ${type || '(none)'} is not JSON`;
  if (typeof body !== 'object' || body === null) return 'body is not a JSON object';
  if (/^\/v1pre3\/oauthv2\/(token|deviceauthorization)\/?$/i.test(path)) {
    if (typeof body.error !== 'string' || typeof body.error_description !== 'string')
      return 'not an OAuth error object';
    return undefined;
  }
  if (/^\/htsget\//i.test(path)) {
    if (typeof body.htsget?.error !== 'string' || typeof body.htsget?.message !== 'string')
      return 'not an htsget error';
    return undefined;
  }
  if (/^\/ga4gh\/drs\//i.test(path)) {
    if (typeof body.msg !== 'string' || body.status_code !== reply.status) return 'not a DRS error';
    return undefined;
  }
  const rs = body.ResponseStatus;
  if (typeof rs?.ErrorCode !== 'string' || typeof rs?.Message !== 'string' || !rs.Message)
    return 'no ResponseStatus.ErrorCode/Message';
  if ('Response' in body) return 'an error envelope with a Response';
  const registered = (ErrorCodes as Record<string, { status: number }>)[rs.ErrorCode];
  if (!registered) return `unregistered ErrorCode ${rs.ErrorCode}`;
  if (registered.status !== reply.status)
    return `ErrorCode ${rs.ErrorCode} is registered as ${registered.status}, sent as ${reply.status}`;
  const n = body.Notifications;
  if (!Array.isArray(n) || n[0]?.Type !== 'error' || n[0]?.Item !== rs.Message)
    return 'Notifications do not repeat the message';
  return undefined;
}

/**
 * Every row of every table (SQLite), hashed per table: what a rejected request must leave as it
 * was. `ignore` names columns (or `*`, whole tables) that record attempts and activity rather
 * than state (see the caller for why).
 */
export async function digestDatabase(
  handle: DbHandle,
  ignore: Readonly<Record<string, readonly string[] | '*'>>,
): Promise<Record<string, string>> {
  const tables = await sql<{
    name: string;
  }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(
    handle.db,
  );
  const out: Record<string, string> = {};
  for (const { name } of tables.rows) {
    const skip = ignore[name];
    if (skip === '*') continue;
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(
      handle.db,
    );
    for (const column of skip ?? []) for (const row of rows.rows) delete row[column];
    const hash = createHash('sha256');
    const lines = rows.rows.map((row) =>
      JSON.stringify(row, (_k, v: unknown) =>
        Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'bigint' ? String(v) : v,
      ),
    );
    for (const line of lines.sort()) hash.update(line).update('\n');
    out[name] = `${lines.length}:${hash.digest('hex').slice(0, 16)}`;
  }
  return out;
}

/** Every file under `dir` with its size: stored and staged bytes a rejected upload must not leave. */
export function digestFiles(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e);
      const s = statSync(p, { throwIfNoEntry: false });
      if (!s) continue;
      if (s.isDirectory()) walk(p);
      else out[p.slice(dir.length)] = s.size;
    }
  };
  walk(dir);
  return out;
}

/** The keys whose values differ between two digests. */
export function changed<T>(a: Record<string, T>, b: Record<string, T>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]);
}
