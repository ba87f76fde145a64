import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder on 127.0.0.1 that a fault test controls: put it between a hub and a
 * dependency the whole machine shares (PostgreSQL, the S3 server) to take that dependency away
 * from this hub only. `cut()` drops every open connection and refuses new ones (as a stopped
 * server does: ECONNREFUSED); `restore()` listens again on the same port.
 */
export interface TcpProxy {
  /** `127.0.0.1:<port>`, stable across cut and restore. */
  host: string;
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const listen = () =>
    new Promise<void>((ok, fail) => {
      const s = createServer((client) => {
        const upstream = createConnection(target);
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', fail);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        ok();
      });
    });

  const cut = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((ok) => s.close(() => ok()));
  };

  await listen();
  return {
    host: '127.0.0.1',
    port,
    cut,
    restore: async () => {
      if (server) return;
      // The port was ours a moment ago; another process may take it in between (rare): retry.
      for (let attempt = 0; ; attempt++) {
        try {
          await listen();
          return;
        } catch (error) {
          if (attempt >= 50) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    close: cut,
  };
}
