import { Transform, type Readable } from 'node:stream';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The hub's Prometheus metrics (docs/deployment.md "Monitoring"). One registry per hub, not
 * prom-client's global one: tests run several hubs in one process, and each must count alone.
 */
export interface HubMetrics {
  registry: Registry;
  /** Requests by method, route pattern (`/v1pre3/files/:id/content`, never the raw URL) and status class. */
  httpDuration: Histogram<'method' | 'route' | 'status_class'>;
  /** Body bytes received (uploads) and sent (downloads), by method and route pattern. */
  httpBytes: Counter<'direction' | 'method' | 'route'>;
  /** Finished job runs by job name and outcome (completed, failed, interrupted). */
  jobDuration: Histogram<'name' | 'outcome'>;
}

/**
 * Request latency buckets, seconds: API calls answer in 1-50 ms (bench/), uploads and downloads
 * of big files take minutes, so the buckets span both.
 */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];
/** Job buckets, seconds: indexing a small VCF takes a second, demultiplexing a NovaSeq run hours. */
const JOB_BUCKETS = [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400, 43200];

export function createMetrics(): HubMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'seqhub_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'seqhub_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status class (2xx ...), seconds',
      labelNames: ['method', 'route', 'status_class'] as const,
      buckets: HTTP_BUCKETS,
      registers: [registry],
    }),
    httpBytes: new Counter({
      name: 'seqhub_http_body_bytes_total',
      help: 'HTTP body bytes received (direction="in", uploads) and sent ("out", downloads)',
      labelNames: ['direction', 'method', 'route'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'seqhub_job_duration_seconds',
      help: 'Job runs by job name and outcome (completed, failed, interrupted), seconds',
      labelNames: ['name', 'outcome'] as const,
      buckets: JOB_BUCKETS,
      registers: [registry],
    }),
  };
}

/** A pass-through stream that reports the bytes flowing through it once it ends or is torn down. */
export function countingStream(onDone: (bytes: number) => void): Transform {
  let bytes = 0;
  let reported = false;
  const report = () => {
    if (reported) return;
    reported = true;
    onDone(bytes);
  };
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      report();
      done();
    },
  });
  counter.on('close', report);
  return counter;
}

/**
 * Pipes `source` through a {@link countingStream}. Failures travel both ways, as if the consumer
 * held `source` itself: a source error destroys the counter, and a counter torn down before the
 * source ended (a route abandoning an upload, a client gone mid-download) destroys the source.
 */
export function counted(source: Readable, onDone: (bytes: number) => void): Readable {
  // A stream that counts what it sends itself (the local blob store's, which writes into the
  // response from buffers it reuses) goes to the response unwrapped: a stream in between would
  // hold chunks it is about to overwrite.
  const selfCounted = source as Readable & { bytesSent?: unknown };
  if (typeof selfCounted.bytesSent === 'number') {
    source.once('close', () => onDone(selfCounted.bytesSent as number));
    return source;
  }
  const counter = countingStream(onDone);
  source.on('error', (error) => counter.destroy(error));
  counter.on('close', () => {
    if (!source.readableEnded && !source.destroyed) source.destroy();
  });
  return source.pipe(counter);
}
