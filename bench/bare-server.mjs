// The reference point for bench/samples-pages.mjs: a bare Fastify app with one route that answers
// every GET under /v1pre3/projects/:id/samples with the same JSON object, captured from a real
// response of our server. No auth, no validation, no database, no response schema: reply.send(obj)
// with Fastify's default JSON serialization. Whatever our server costs on top of this is ours.
//
// Usage: BENCH_BODY_FILE=body.json node bench/bare-server.mjs  -> prints `listening on http://...`
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

const file = process.env.BENCH_BODY_FILE;
if (!file) {
  process.stderr.write('BENCH_BODY_FILE must name a JSON file holding the body to serve\n');
  process.exit(2);
}
const body = JSON.parse(readFileSync(file, 'utf8'));

const app = Fastify({ logger: false });
app.get('/v1pre3/projects/:id/samples', (_request, reply) => {
  reply.send(body);
});

const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) });
process.stdout.write(`listening on ${address}\n`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0));
  });
}
