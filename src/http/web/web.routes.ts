import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AppError,
  OAuthError,
  RateLimitedError,
  describeScope,
  type User,
} from '../../domain/index.js';
import {
  AuthorizeError,
  formatUserCode,
  normalizeUserCode,
  type AuthorizeRequest,
  type Services,
} from '../../services/index.js';
import { html, sendPage, type Html } from './html.js';
import { uiRoutes } from './ui.routes.js';

export const SESSION_COOKIE = 'seqhub_session';

export interface WebDeps {
  services: Services;
  publicUrl?: string | undefined;
  /** Hex key binding CSRF tokens to sessions (shared by every process, see WebAuthService). */
  csrfKey: string;
  /** The built web UI (served under /app/). */
  uiDir?: string | undefined;
  /** Where signed content URLs point when not at the hub (an S3 endpoint's origin). */
  storageOrigin?: string | undefined;
}

type Form = Record<string, unknown>;
const field = (body: unknown, name: string): string | undefined => {
  const v = (body as Form | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
};

/** A `next` we will redirect to after sign-in: a path on this hub, never another origin. */
function safeNext(next: string | undefined): string | undefined {
  if (!next || !next.startsWith('/') || next.startsWith('//') || /[\\\u0000-\u001f]/.test(next))
    return undefined;
  return next.slice(0, 4096);
}

/**
 * The hub's own pages: sign-in and sign-out, the OAuth consent page (`/oauth/authorize`, spec
 * 1.3.1) and the device-code page (`/oauth/device`, spec 1.3.2). Server-rendered HTML, every
 * value escaped; every form carries a CSRF token bound to the session.
 */
export async function webRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { services } = deps;
  await app.register(cookie);
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'seqhub_csrf',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: 'auto' },
    csrfOpts: { hmacKey: Buffer.from(deps.csrfKey, 'hex'), userInfo: true },
    getUserInfo: (req) => services.web.sessionBinding(req.cookies[SESSION_COOKIE]),
  });

  const isHttps = (request: FastifyRequest) =>
    request.protocol === 'https' || (deps.publicUrl?.startsWith('https:') ?? false);

  const csrfToken = (request: FastifyRequest, reply: FastifyReply) =>
    reply.generateCsrf({ userInfo: services.web.sessionBinding(request.cookies[SESSION_COOKIE]) });

  const signedIn = (request: FastifyRequest) =>
    services.web.sessionUser(request.cookies[SESSION_COOKIE]);

  const toSignIn = (request: FastifyRequest, reply: FastifyReply) =>
    reply.redirect(`/signin?next=${encodeURIComponent(request.url)}`, 303);

  // Errors of these pages are pages too, never JSON.
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof RateLimitedError) {
      reply.header('Retry-After', String(error.retryAfterSeconds));
      return sendPage(
        reply,
        429,
        'Too many attempts',
        html`<h1>Too many attempts</h1>
          <p>${error.message}.</p>`,
      );
    }
    if (error instanceof AppError && error.httpStatus < 500)
      return sendPage(
        reply,
        error.httpStatus,
        'Error',
        html`<h1>That did not work</h1>
          <p>${error.message}</p>`,
      );
    if (error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET')
      return sendPage(
        reply,
        403,
        'Form expired',
        html`<h1>This form has expired</h1>
          <p>Go back, reload the page and try again.</p>`,
      );
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500)
      return sendPage(reply, status, 'Bad request', html`<h1>Bad request</h1>`);
    request.log.error({ err: error }, 'web page error');
    return sendPage(
      reply,
      500,
      'Error',
      html`<h1>Something went wrong</h1>
        <p>Request ${request.id}</p>`,
    );
  });

  const hidden = { schema: { hide: true }, config: { auth: false } } as const;
  await app.register(uiRoutes, {
    services,
    uiDir: deps.uiDir,
    storageOrigin: deps.storageOrigin,
  });
  const protectedForm = { ...hidden, preHandler: app.csrfProtection } as const;

  // --- sign-in -------------------------------------------------------------------------------

  const signInPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    next: string | undefined,
    error?: string,
    email?: string,
  ) =>
    sendPage(
      reply,
      status,
      'Sign in',
      html`<h1>Sign in to seqhub</h1>
        ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
        <form method="post" action="/signin">
          <input type="hidden" name="_csrf" value="${csrfToken(request, reply)}" />
          <input type="hidden" name="next" value="${next ?? ''}" />
          <label for="email">Email</label>
          <input
            id="email"
            type="email"
            name="email"
            value="${email ?? ''}"
            required
            autocomplete="username"
          />
          <label for="password">Password</label>
          <input
            id="password"
            type="password"
            name="password"
            required
            autocomplete="current-password"
          />
          <button type="submit">Sign in</button>
        </form>`,
    );

  app.get('/signin', hidden, async (request, reply) =>
    signInPage(request, reply, 200, safeNext((request.query as Form).next as string | undefined)),
  );

  app.post('/signin', protectedForm, async (request, reply) => {
    const email = field(request.body, 'email') ?? '';
    const password = field(request.body, 'password') ?? '';
    const next = safeNext(field(request.body, 'next'));
    let session: string;
    try {
      ({ session } = await services.web.signIn(email, password, request.ip));
      // A fresh session id at every sign-in; one the browser held before is ended (fixation).
      await services.web.signOut(request.cookies[SESSION_COOKIE]);
    } catch (error) {
      if (error instanceof RateLimitedError) throw error;
      if (error instanceof AppError && error.code === 'Unauthorized')
        return signInPage(request, reply, 401, next, error.message, email);
      throw error;
    }
    reply.setCookie(SESSION_COOKIE, session, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: isHttps(request),
    });
    return reply.redirect(next ?? '/app/', 303);
  });

  app.get('/signin/done', hidden, async (request, reply) => {
    const user = await signedIn(request);
    if (!user) return toSignIn(request, reply);
    return sendPage(
      reply,
      200,
      'Signed in',
      html`<h1>Signed in</h1>
        ${signOutForm(request, reply, user)}`,
    );
  });

  const signOutForm = (request: FastifyRequest, reply: FastifyReply, user: User): Html =>
    html`<form method="post" action="/signout" class="muted">
      Signed in as ${user.email}.
      <input type="hidden" name="_csrf" value="${csrfToken(request, reply)}" />
      <button type="submit">Sign out</button>
    </form>`;

  app.post('/signout', protectedForm, async (request, reply) => {
    await services.web.signOut(request.cookies[SESSION_COOKIE], request.ip);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/signin', 303);
  });

  // --- authorization-code consent (spec 1.3.1) -----------------------------------------------

  const redirectBack = (
    reply: FastifyReply,
    uri: string,
    params: Record<string, string | undefined>,
  ) => {
    const url = new URL(uri);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
    return reply.redirect(url.toString(), 303);
  };

  const checkAuthorize = async (
    reply: FastifyReply,
    params: Record<string, string | undefined>,
  ): Promise<AuthorizeRequest | FastifyReply> => {
    try {
      return await services.oauth.checkAuthorize(params);
    } catch (error) {
      if (!(error instanceof AuthorizeError)) throw error;
      if (error.redirect)
        return redirectBack(reply, error.redirect.uri, {
          error: error.redirect.error,
          error_description: error.message,
          state: error.redirect.state,
        });
      return sendPage(
        reply,
        400,
        'Authorization failed',
        html`<h1>Authorization failed</h1>
          <p>${error.message}</p>`,
      );
    }
  };

  const authorizeParams = (source: unknown) => ({
    client_id: field(source, 'client_id'),
    redirect_uri: field(source, 'redirect_uri'),
    response_type: field(source, 'response_type'),
    scope: field(source, 'scope'),
    state: field(source, 'state'),
  });

  app.get('/oauth/authorize', hidden, async (request, reply) => {
    const params = authorizeParams(request.query);
    const checked = await checkAuthorize(reply, params);
    if (!('client' in checked)) return checked;
    const user = await signedIn(request);
    if (!user) return toSignIn(request, reply);
    return sendPage(
      reply,
      200,
      'Authorize',
      html`<h1>Allow ${checked.client.name} to use your seqhub account?</h1>
        <p>${checked.client.name} asks to:</p>
        <ul class="scopes">
          ${describeScope(checked.scope).map((line) => html`<li>${line}</li>`)}
        </ul>
        <form method="post" action="/oauth/authorize">
          <input type="hidden" name="_csrf" value="${csrfToken(request, reply)}" />
          ${Object.entries(params).map(([k, v]) =>
            v === undefined ? '' : html`<input type="hidden" name="${k}" value="${v}" />`,
          )}
          <button type="submit" name="decision" value="approve">Allow</button>
          <button type="submit" name="decision" value="deny">Deny</button>
        </form>
        <p class="muted">You will be sent back to ${checked.redirectUri}</p>
        ${signOutForm(request, reply, user)}`,
    );
  });

  app.post('/oauth/authorize', protectedForm, async (request, reply) => {
    const user = await signedIn(request);
    if (!user) return toSignIn(request, reply);
    const params = authorizeParams(request.body);
    const checked = await checkAuthorize(reply, params);
    if (!('client' in checked)) return checked;
    if (field(request.body, 'decision') !== 'approve')
      return redirectBack(reply, checked.redirectUri, {
        error: 'access_denied',
        error_description: 'User has denied the access request',
        state: checked.state,
      });
    const code = await services.oauth.issueCode(user, checked);
    return redirectBack(reply, checked.redirectUri, { code, state: checked.state });
  });

  // --- device code (spec 1.3.2) --------------------------------------------------------------

  const codeEntryPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    user: User,
    status: number,
    code: string,
    error?: string,
  ) =>
    sendPage(
      reply,
      status,
      'Connect a device',
      html`<h1>Connect a device</h1>
        ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
        <form method="post" action="/oauth/device">
          <input type="hidden" name="_csrf" value="${csrfToken(request, reply)}" />
          <label for="user_code">Code shown on your device</label>
          <input
            id="user_code"
            type="text"
            name="user_code"
            value="${code}"
            required
            autocomplete="off"
          />
          <button type="submit">Continue</button>
        </form>
        ${signOutForm(request, reply, user)}`,
    );

  app.get('/oauth/device', hidden, async (request, reply) => {
    const user = await signedIn(request);
    if (!user) return toSignIn(request, reply);
    const typed = ((request.query as Form).code as string | undefined) ?? '';
    return codeEntryPage(
      request,
      reply,
      user,
      200,
      typeof typed === 'string' ? typed.slice(0, 64) : '',
    );
  });

  app.post('/oauth/device', protectedForm, async (request, reply) => {
    const user = await signedIn(request);
    if (!user) return toSignIn(request, reply);
    const typed = (field(request.body, 'user_code') ?? '').slice(0, 64);
    const decision = field(request.body, 'decision');
    try {
      if (decision === 'approve' || decision === 'deny') {
        await services.oauth.decideDevice(user, typed, decision === 'approve', request.ip);
        return sendPage(
          reply,
          200,
          decision === 'approve' ? 'Device connected' : 'Request denied',
          decision === 'approve'
            ? html`<h1>Device connected</h1>
                <p>You can return to your device.</p>`
            : html`<h1>Request denied</h1>
                <p>The device was not given access.</p>`,
        );
      }
      const { device, client } = await services.oauth.pendingDevice(user, typed);
      return sendPage(
        reply,
        200,
        'Authorize device',
        html`<h1>Allow ${client.name} to use your seqhub account?</h1>
          <p>Code ${formatUserCode(device.userCode)}. ${client.name} asks to:</p>
          <ul class="scopes">
            ${describeScope(device.scope).map((line) => html`<li>${line}</li>`)}
          </ul>
          <form method="post" action="/oauth/device">
            <input type="hidden" name="_csrf" value="${csrfToken(request, reply)}" />
            <input type="hidden" name="user_code" value="${normalizeUserCode(typed)}" />
            <button type="submit" name="decision" value="approve">Allow</button>
            <button type="submit" name="decision" value="deny">Deny</button>
          </form>
          ${signOutForm(request, reply, user)}`,
      );
    } catch (error) {
      if (error instanceof AppError && (error.code === 'NotFound' || error.code === 'Conflict'))
        return codeEntryPage(request, reply, user, error.httpStatus, typed, error.message);
      if (error instanceof OAuthError) throw new AppError('BadRequest', error.description);
      throw error;
    }
  });
}
