import { NetworkError, apiErrorOf, isAbortError } from './errors.js';
import { DEFAULT_RETRY, backoffDelay, parseRetryAfter, sleep, type RetryPolicy } from './retry.js';

/** How to reach a hub: its address and a token; everything else has defaults. */
export interface ClientOptions {
  /** `https://hub.lab.org`, with or without a trailing `/v1pre3`. */
  baseUrl: string;
  /** An access token (sent as `x-access-token`, as the BaseSpace SDKs do). */
  accessToken?: string;
  /** Retry policy; `{ retries: 0 }` turns retries off. */
  retry?: Partial<RetryPolicy>;
  /** `fetch` to use (default the global one): a test's or a proxy-aware one. */
  fetch?: typeof fetch;
  /** Uniform random in [0, 1) for backoff jitter (default Math.random). */
  random?: () => number;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** A JSON body (sent as application/json) or raw bytes. */
  json?: unknown;
  body?: Blob | Uint8Array;
  headers?: Record<string, string>;
  /**
   * Safe to send again after any failure (GET, PUT of a part, status changes that are no-ops
   * when repeated). Other calls are retried only on 429 and 503, whose requests the server did
   * not act on (RFC 6585 4, RFC 9110 15.6.4), never after a network error that may have
   * reached the server.
   */
  idempotent?: boolean;
  signal?: AbortSignal;
}

/** The transport under every call: URL building, auth, retries with backoff, error decoding. */
export class HttpTransport {
  readonly baseUrl: string;
  private readonly retry: RetryPolicy;
  private readonly fetchFn: typeof fetch;
  private readonly random: () => number;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '').replace(/\/v1pre3$/i, '');
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.random = options.random ?? Math.random;
  }

  url(path: string, query: RequestOptions['query'] = {}): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
    const text = qs.toString();
    return `${this.baseUrl}/v1pre3/${path.replace(/^\/+/, '')}${text ? `?${text}` : ''}`;
  }

  /** Sends one call (retrying as its kind allows) and returns the `Response` envelope member. */
  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<T> {
    const res = await this.send(method, path, options);
    const text = await res.text();
    if (!res.ok) throw apiErrorOf(res.status, text);
    if (text.trim() === '') return undefined as T;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw apiErrorOf(res.status, text);
    }
    return ((parsed as { Response?: unknown }).Response ?? parsed) as T;
  }

  /** Sends with retries; answers the final Response, whatever its status. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = { ...options.headers };
    if (this.options.accessToken) headers['x-access-token'] = this.options.accessToken;
    let body: RequestInit['body'];
    if (options.json !== undefined) {
      headers['Content-Type'] ??= 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      body = options.body as RequestInit['body'];
    }
    for (let attempt = 0; ; attempt++) {
      options.signal?.throwIfAborted();
      const last = attempt >= this.retry.retries;
      let res: Response;
      try {
        res = await this.fetchFn(url, {
          method,
          headers,
          body,
          redirect: 'follow',
          ...(options.signal && { signal: options.signal }),
        });
      } catch (error) {
        if (options.signal?.aborted || isAbortError(error)) throw options.signal?.reason ?? error;
        if (last || !options.idempotent)
          throw new NetworkError(`cannot reach ${this.baseUrl}: ${describe(error)}`, {
            cause: error,
          });
        await sleep(backoffDelay(attempt, this.retry, this.random), options.signal);
        continue;
      }
      const retryable =
        res.status === 429 || res.status === 503 || (options.idempotent && res.status >= 500);
      if (!retryable || last) return res;
      const after = parseRetryAfter(res.headers.get('retry-after'));
      if (after !== undefined && after > this.retry.maxRetryAfterMs) return res;
      await res.body?.cancel().catch(() => undefined);
      await sleep(after ?? backoffDelay(attempt, this.retry, this.random), options.signal);
    }
  }
}

/** `fetch failed` hides the reason in `cause` (ECONNREFUSED ...): show it. */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
