// A small round-robin HTTP proxy for bench/scale.mjs (and the scale-out tests): each request goes
// to the next backend in turn, bodies and answers streamed both ways, as nginx's default upstream
// balancing does. Usage: node bench/rr-proxy.mjs http://127.0.0.1:3001 http://127.0.0.1:3002
// Prints `listening on http://127.0.0.1:<port>` once ready (PORT env picks the port, default any).
import http from 'node:http';

const backends = process.argv.slice(2).map((u) => new URL(u));
if (backends.length === 0) throw new Error('give one or more backend URLs');
// Keep-alive to the backends, as nginx's `keepalive` upstream setting does: without it each
// proxied request would pay a TCP handshake the direct path does not.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
let next = 0;

const server = http.createServer((req, res) => {
  const target = backends[next];
  next = (next + 1) % backends.length;
  const upstream = http.request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host, 'x-forwarded-for': req.socket.remoteAddress },
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  req.on('aborted', () => upstream.destroy());
  req.pipe(upstream);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(0));
