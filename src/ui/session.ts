import { ApiError, SeqhubClient } from '../sdk/index.js';

/** The signed-in user, as `POST /app/session` tells it. */
export interface SessionUser {
  Id: string;
  Name: string;
  Email: string;
}

let token: string | undefined;
let pending: Promise<string> | undefined;
export let currentUser: SessionUser | undefined;

/** Sends the browser to sign in, coming back here after. */
export function toSignIn(): never {
  location.assign(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
  throw new Error('Signing in');
}

/**
 * A short-lived API token for this page, from the sign-in cookie (docs/ui.md): asked for with
 * the custom header that a cross-site page cannot send; kept only in memory.
 */
async function openSession(): Promise<string> {
  const res = await fetch('/app/session', {
    method: 'POST',
    headers: { 'x-seqhub-ui': '1' },
    credentials: 'same-origin',
  });
  if (res.status === 401) toSignIn();
  if (!res.ok) throw new Error(`Could not open a session (HTTP ${res.status})`);
  const body = (await res.json()) as { Response: { AccessToken: string; User: SessionUser } };
  currentUser = body.Response.User;
  return body.Response.AccessToken;
}

export async function accessToken(): Promise<string> {
  if (token) return token;
  pending ??= openSession().finally(() => (pending = undefined));
  token = await pending;
  return token;
}

/** fetch with the page's token; a 401 (token expired) gets a new token and one more try. */
async function authedFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const send = async () => {
    const headers = new Headers(init.headers);
    headers.set('x-access-token', await accessToken());
    return fetch(input, { ...init, headers });
  };
  const res = await send();
  if (res.status !== 401) return res;
  token = undefined;
  return send();
}

/** The SDK client every page uses. */
export const hub = new SeqhubClient({ baseUrl: location.origin, fetch: authedFetch });

/** `fetch` for other same-origin calls (htsget) with the token. */
export const hubFetch = authedFetch;

export const isNotFound = (e: unknown) => e instanceof ApiError && e.status === 404;
