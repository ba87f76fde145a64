import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, NetworkError } from './errors.js';
import { parseHead, RangeFetcher } from './range-fetch-node.js';

const enc = (s: string) => Buffer.from(s, 'latin1');

describe('parseHead', () => {
  const ok = 'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 10-19/100\r\n';
  it('waits for the end of the head, then gives where the body starts', () => {
    expect(parseHead(enc(ok), 10, 20)).toBeUndefined();
    expect(parseHead(enc(`${ok}Content-Length: 10\r\n\r`), 10, 20)).toBeUndefined();
    const head = `${ok}content-length: 10\r\nETag: "x"\r\n\r\n`;
    expect(parseHead(enc(`${head}0123`), 10, 20)).toEqual({ headLength: head.length });
  });
  it('leaves other statuses, chunked and unsized bodies to node:http', () => {
    const fallback = { fallback: true };
    expect(parseHead(enc('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n'), 10, 20)).toEqual(
      fallback,
    );
    expect(parseHead(enc('HTTP/1.1 403 Forbidden\r\n\r\n'), 10, 20)).toEqual(fallback);
    expect(parseHead(enc(`${ok}Transfer-Encoding: chunked\r\n\r\n`), 10, 20)).toEqual(fallback);
    expect(parseHead(enc(`${ok}\r\n`), 10, 20)).toEqual(fallback);
  });
  it('refuses a 206 of other bytes than asked, and heads that are not HTTP', () => {
    expect(parseHead(enc(`${ok}Content-Length: 11\r\n\r\n`), 10, 20)?.error).toMatch(
      /Content-Length 11 for a range of 10 bytes/,
    );
    expect(
      parseHead(enc(`${ok}Content-Length: 10\r\nContent-Length: 9\r\n\r\n`), 10, 20)?.error,
    ).toMatch(/two lengths/);
    const other = 'HTTP/1.1 206 x\r\nContent-Range: bytes 0-9/100\r\nContent-Length: 10\r\n\r\n';
    expect(parseHead(enc(other), 10, 20)?.error).toMatch(/Content-Range 'bytes 0-9\/100'/);
    expect(parseHead(enc('SSH-2.0-OpenSSH\r\n\r\n'), 10, 20)?.error).toMatch(/HTTP\/1\.1/);
    expect(parseHead(enc(`${ok}no colon\r\n\r\n`), 10, 20)?.error).toMatch(/malformed/);
    expect(parseHead(Buffer.alloc(17 * 1024, 65), 10, 20)?.error).toMatch(/over 16 KiB/);
  });
});

/**
 * A hand-written HTTP/1.1 server on 127.0.0.1 answering each request with what the test's
 * `answer` writes to the socket, so the answers can be split, short, or wrong on purpose.
 */
let server: Server;
let origin: string;
let answer: (socket: Socket, range: { start: number; end: number }) => Promise<void>;
let requests = 0;
/** The head of the last request: the raw path sends `Connection: close`, node:http keep-alive. */
let lastHead = '';
const dir = mkdtempSync(join(tmpdir(), 'seqhub-range-fetch-'));
const data = randomBytes(3 * 1024 * 1024 + 17);

beforeAll(async () => {
  server = createServer((socket) => {
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      requests++;
      lastHead = head;
      const m = /\r\nRange: bytes=(\d+)-(\d+)\r\n/i.exec(head);
      head = '';
      const range = { start: Number(m?.[1]), end: Number(m?.[2]) + 1 };
      void answer(socket, range).catch(() => socket.destroy());
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const head206 = (start: number, end: number, extra = '') =>
  `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ${start}-${end - 1}/${data.length}\r\n` +
  `Content-Length: ${end - start}\r\nConnection: close\r\n${extra}\r\n`;

/** A 206 of the bytes asked for, written in one go. */
const plain = async (socket: Socket, r: { start: number; end: number }) => {
  socket.end(Buffer.concat([enc(head206(r.start, r.end)), data.subarray(r.start, r.end)]));
};

function freshPart(): string {
  const part = join(dir, `${Math.random().toString(36).slice(2)}.part`);
  writeFileSync(part, Buffer.alloc(data.length));
  return part;
}

describe('RangeFetcher', () => {
  const fetchers: RangeFetcher[] = [];
  const fetcher = (options?: { raw?: boolean }) => {
    const f = new RangeFetcher(options);
    fetchers.push(f);
    return f;
  };
  afterEach(async () => {
    await Promise.all(fetchers.splice(0).map((f) => f.close()));
    requests = 0;
  });
  const signal = () => new AbortController().signal;

  it('writes a range at its offset with its CRC-32, alike on the raw path and on node:http', async () => {
    answer = plain;
    const start = 1024 * 1024 + 5;
    const end = data.length - 3;
    for (const raw of [true, false]) {
      const part = freshPart();
      let reported = 0;
      const r = await fetcher({ raw }).fetch(
        `${origin}/f`,
        part,
        start,
        end,
        true,
        signal(),
        (n) => {
          reported += n;
        },
      );
      expect(r).toEqual({ at: end, crc: crc32(data.subarray(start, end)) });
      expect(reported).toBe(end - start);
      expect(/\r\nConnection: close\r\n/i.test(lastHead)).toBe(raw);
      const got = readFileSync(part);
      expect(got.subarray(start, end).equals(data.subarray(start, end))).toBe(true);
      expect(got.subarray(0, start).every((b) => b === 0)).toBe(true);
    }
  });

  it('reads a head split across many reads, and a body starting in the read that ends the head', async () => {
    answer = async (socket, r) => {
      socket.setNoDelay(true);
      const head = enc(head206(r.start, r.end));
      for (let i = 0; i < head.length; i += 7) {
        socket.write(head.subarray(i, Math.min(head.length, i + 7)));
        await sleep(2);
      }
      socket.end(data.subarray(r.start, r.end));
    };
    const part = freshPart();
    const r = await fetcher().fetch(`${origin}/f`, part, 100, 200_100, true, signal(), () => {});
    expect(r.crc).toBe(crc32(data.subarray(100, 200_100)));
    expect(requests).toBe(1);
    expect(lastHead).toMatch(/\r\nConnection: close\r\n/i);
    expect(readFileSync(part).subarray(100, 200_100).equals(data.subarray(100, 200_100))).toBe(
      true,
    );
  });

  it('a body cut short is a NetworkError saying how far it got (retried by the download), and a second try completes', async () => {
    let tries = 0;
    answer = async (socket, r) => {
      if (++tries > 1) return plain(socket, r);
      socket.write(enc(head206(r.start, r.end)));
      socket.end(data.subarray(r.start, r.start + 1000));
    };
    const part = freshPart();
    const f = fetcher();
    const failed = await f
      .fetch(`${origin}/f`, part, 0, 50_000, true, signal(), () => {})
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(failed).toBeInstanceOf(NetworkError);
    expect((failed as Error).message).toMatch(/closed the connection after 1000 of 50000 bytes/);
    const r = await f.fetch(`${origin}/f`, part, 0, 50_000, true, signal(), () => {});
    expect(r).toEqual({ at: 50_000, crc: crc32(data.subarray(0, 50_000)) });
  });

  it('an error status comes back as ApiError with the hub text (node:http reads it)', async () => {
    answer = async (socket) => {
      const body = '{"ResponseStatus":{"ErrorCode":"Forbidden","Message":"expired"}}';
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    const failed = await fetcher()
      .fetch(`${origin}/f`, freshPart(), 0, 10, true, signal(), () => {})
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).status).toBe(403);
    expect((failed as Error).message).toMatch(/expired/);
  });

  it('a chunked 206 falls back to node:http and still lands right', async () => {
    answer = async (socket, r) => {
      const body = data.subarray(r.start, r.end);
      socket.end(
        Buffer.concat([
          enc(
            `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ${r.start}-${r.end - 1}/${data.length}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n`,
          ),
          body,
          enc('\r\n0\r\n\r\n'),
        ]),
      );
    };
    const part = freshPart();
    const r = await fetcher().fetch(`${origin}/f`, part, 10, 70_010, true, signal(), () => {});
    expect(r).toEqual({ at: 70_010, crc: crc32(data.subarray(10, 70_010)) });
    expect(requests).toBe(2);
  });

  it('a Content-Length or Content-Range other than the range asked, or bytes past it, fail with a clear error and write nothing', async () => {
    const cases: [string, (socket: Socket, r: { start: number; end: number }) => void][] = [
      [
        'Content-Length 5001 for a range of 5000 bytes',
        (socket, r) =>
          socket.end(
            enc(
              `HTTP/1.1 206 x\r\nContent-Range: bytes ${r.start}-${r.end - 1}/9\r\nContent-Length: ${r.end - r.start + 1}\r\n\r\n`,
            ),
          ),
      ],
      ["Content-Range 'bytes 0-4999/", (socket, r) => socket.end(enc(head206(0, r.end - r.start)))],
    ];
    for (const [message, write] of cases) {
      answer = async (socket, r) => write(socket, r);
      const part = freshPart();
      const failed = await fetcher()
        .fetch(`${origin}/f`, part, 7, 5007, true, signal(), () => {})
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(Error);
      expect(failed).not.toBeInstanceOf(NetworkError);
      expect((failed as Error).message).toContain(message);
      expect(readFileSync(part).every((b) => b === 0)).toBe(true);
    }
    answer = async (socket, r) => {
      socket.end(Buffer.concat([enc(head206(r.start, r.end)), data.subarray(r.start, r.end + 5)]));
    };
    const failed = await fetcher()
      .fetch(`${origin}/f`, freshPart(), 7, 5007, true, signal(), () => {})
      .catch((e: unknown) => e);
    expect((failed as Error).message).toMatch(/more bytes than the 5000 asked for/);
  });

  it('an abort mid-body rejects with the reason and closes the connection', async () => {
    let closed = false;
    let sent = false;
    answer = async (socket, r) => {
      socket.once('close', () => (closed = true));
      socket.write(Buffer.concat([enc(head206(r.start, r.end)), data.subarray(r.start, 1000)]));
      sent = true;
    };
    const controller = new AbortController();
    const reason = new Error('stop');
    const part = freshPart();
    const fetching = fetcher().fetch(
      `${origin}/f`,
      part,
      0,
      50_000,
      true,
      controller.signal,
      () => {},
    );
    for (let i = 0; i < 200 && !sent; i++) await sleep(10);
    await sleep(50);
    controller.abort(reason);
    await expect(fetching).rejects.toBe(reason);
    for (let i = 0; i < 100 && !closed; i++) await sleep(10);
    expect(closed).toBe(true);
  });

  it('no server is a NetworkError naming the origin', async () => {
    const dead = createServer();
    await new Promise<void>((ok) => dead.listen(0, '127.0.0.1', ok));
    const port = (dead.address() as { port: number }).port;
    await new Promise((ok) => dead.close(ok));
    const failed = await fetcher()
      .fetch(`http://127.0.0.1:${port}/f`, freshPart(), 0, 10, true, signal(), () => {})
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(NetworkError);
    expect((failed as Error).message).toContain(`cannot reach http://127.0.0.1:${port}`);
  });
});
