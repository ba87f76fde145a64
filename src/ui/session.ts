import { ApiError, DEFAULT_PART_SIZE, SeqhubClient } from '../sdk/index.js';

/** The signed-in user, as `POST /app/session` tells it. */
export interface SessionUser {
  Id: string;
  Name: string;
  Email: string;
}

/** What `POST /app/session` answers (docs/ui.md). */
interface SessionAnswer {
  AccessToken: string;
  ExpiresAt: string;
  User: SessionUser;
  /** The part size uploads are cut at: at most the hub's largest part (SEQHUB_MAX_PART_BYTES). */
  UploadPartSize?: number;
}

/** The page's API session: its token, its user and the hub's upload settings. */
export interface UiSession {
  token: string;
  user: SessionUser;
  partSize: number;
}

let current: UiSession | undefined;
let pending: Promise<UiSession> | undefined;
export let currentUser: SessionUser | undefined;

/** Thrown while the browser goes to the sign-in page: nothing to show for it. */
export class SigningIn extends Error {
  constructor() {
    super('Signing in');
    this.name = 'SigningIn';
  }
}

/** Sends the browser to sign in, coming back here after. */
export function toSignIn(): never {
  location.assign(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
  throw new SigningIn();
}

function adopt(answer: SessionAnswer): UiSession {
  currentUser = answer.User;
  current = {
    token: answer.AccessToken,
    user: answer.User,
    partSize:
      typeof answer.UploadPartSize === 'number' && answer.UploadPartSize > 0
        ? answer.UploadPartSize
        : DEFAULT_PART_SIZE,
  };
  return current;
}

/**
 * The session the hub put in the page itself (`<script type="application/json"
 * id="seqhub-session">`, only in a signed-in browser's copy, never cached): the first API call
 * then waits for no token request. Taken out of the document once read.
 */
function inlineSession(): void {
  const element = document.getElementById('seqhub-session');
  if (!element) return;
  element.remove();
  try {
    const answer = JSON.parse(element.textContent ?? '') as SessionAnswer;
    if (typeof answer.AccessToken === 'string' && answer.User) adopt(answer);
  } catch {
    // Unreadable: the page asks for a session as usual.
  }
}
inlineSession();

/**
 * A short-lived API token for this page, from the sign-in cookie (docs/ui.md): asked for with
 * the custom header that a cross-site page cannot send; kept only in memory.
 */
async function openSession(): Promise<UiSession> {
  const res = await fetch('/app/session', {
    method: 'POST',
    headers: { 'x-seqhub-ui': '1' },
    credentials: 'same-origin',
  });
  if (res.status === 401) toSignIn();
  if (!res.ok) throw new Error(`Could not open a session (HTTP ${res.status})`);
  return adopt(((await res.json()) as { Response: SessionAnswer }).Response);
}

/** The page's session, opened on first use. */
export async function session(): Promise<UiSession> {
  if (current) return current;
  pending ??= openSession().finally(() => (pending = undefined));
  return pending;
}

export async function accessToken(): Promise<string> {
  return (await session()).token;
}

/** fetch with the page's token; a 401 (token expired) gets a new token and one more try. */
async function authedFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  let used = '';
  const send = async () => {
    const headers = new Headers(init.headers);
    used = await accessToken();
    headers.set('x-access-token', used);
    return fetch(input, { ...init, headers });
  };
  const res = await send();
  if (res.status !== 401) return res;
  // Forget the token only if no other call has replaced it meanwhile.
  if (current?.token === used) current = undefined;
  return send();
}

/** The SDK client every page uses. */
export const hub = new SeqhubClient({ baseUrl: location.origin, fetch: authedFetch });

/** `fetch` for other same-origin calls (htsget) with the token. */
export const hubFetch = authedFetch;

export const isNotFound = (e: unknown) => e instanceof ApiError && e.status === 404;
