import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { constantTimeEqual, sha256 } from '../../lib/crypto.js';
import { clearCookie, readCookie, sessionCookie } from '../shared/cookies.js';
import { html, sendPage } from '../shared/html.js';
import { tenantOf } from '../shared/tenant.js';
import type { EndSessionRequest } from './schemas.js';

type IdTokenHint = Awaited<ReturnType<Core['tokens']['verifyIdTokenHint']>>;

/** Where to send the browser after signing out: only a URI registered for the client, matched exactly. */
const postLogoutTarget = async (
  core: Core,
  tenant: Tenant,
  params: EndSessionRequest,
  hint: IdTokenHint | undefined,
): Promise<string | undefined> => {
  const uri = params.post_logout_redirect_uri;
  if (hint !== undefined && params.client_id !== undefined && params.client_id !== hint.clientId)
    throw new GatehouseError('invalid_request', 'client_id does not match id_token_hint');
  if (uri === undefined) return undefined;
  const clientId = hint?.clientId ?? params.client_id;
  if (clientId === undefined)
    throw new GatehouseError('invalid_request', 'post_logout_redirect_uri needs id_token_hint or client_id');
  const client = await core.clients.find(clientId);
  // OIDC RP-Initiated Logout §3: exact match against the client's registered values.
  if (client === undefined || client.tenantId !== tenant.id || !client.settings.postLogoutRedirectUris?.includes(uri))
    throw new GatehouseError('invalid_request', 'post_logout_redirect_uri is not registered for this client');
  const url = new URL(uri);
  if (params.state !== undefined) url.searchParams.set('state', params.state);
  return url.href;
};

/** The confirmation form's token: derived from the session cookie, so only a page that can read ours can post it. */
const confirmationToken = (cookie: string): string => sha256(`end-session:${cookie}`);

const confirmed = (params: EndSessionRequest, cookie: string): boolean => {
  const presented = params.confirm;
  return typeof presented === 'string' && constantTimeEqual(presented, confirmationToken(cookie));
};

/** "Sign out?", with a form that posts the request back with the confirmation token. */
const sendConfirmation = (
  reply: FastifyReply,
  params: EndSessionRequest,
  cookie: string,
  target: string | undefined,
) => {
  const carried = (['post_logout_redirect_uri', 'state', 'client_id'] as const).flatMap((name) => {
    const value = params[name];
    return value === undefined ? [] : [html`<input type="hidden" name="${name}" value="${value}">`];
  });
  return sendPage(reply, {
    status: 200,
    title: 'Sign out?',
    body: html`<h1>Sign out?</h1>
      <p>An application asked to sign you out.</p>
      <form method="post">
        ${carried}
        <input type="hidden" name="confirm" value="${confirmationToken(cookie)}">
        <button type="submit">Sign out</button>
      </form>
      <p>Did not ask for this? Close this page: you stay signed in.</p>`,
    ...(target === undefined ? {} : { formActions: [new URL(target).origin] }),
  });
};

/**
 * `GET|POST /logout` (OpenID Connect RP-Initiated Logout 1.0): ends the browser's session at this tenant, then
 * returns to the client's registered `post_logout_redirect_uri` (with `state`) or shows a signed-out page. A request
 * that could come from anywhere (a link, an image) must not sign anyone out (RP-Initiated Logout §2: the OP should
 * ask): without a valid `id_token_hint` for the session's user, the browser is asked first, and only the form of that
 * page (its token is derived from the session cookie) ends the session.
 */
export const endSessionEndpoint = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const params = (request.method === 'POST' ? request.body : request.query) as EndSessionRequest;
  const hint =
    params.id_token_hint === undefined
      ? undefined
      : await core.tokens.verifyIdTokenHint(tenant.id, params.id_token_hint);
  const target = await postLogoutTarget(core, tenant, params, hint);
  const sessionCookieOf = sessionCookie(core.settings.publicUrl, tenant.id);
  const cookie = readCookie(request, sessionCookieOf);
  if (cookie !== undefined) {
    const session = await core.sessions.find(tenant, cookie);
    const hinted = hint !== undefined && session !== undefined && hint.subject === session.userId;
    const asked = request.method === 'POST' && confirmed(params, cookie);
    if (session !== undefined && !hinted && !asked) return sendConfirmation(reply, params, cookie, target);
    await core.sessions.end(tenant.id, cookie);
  }
  clearCookie(reply, sessionCookieOf);
  if (target !== undefined) return reply.redirect(target, 303);
  return sendPage(reply, {
    status: 200,
    title: 'Signed out',
    body: html`<h1>You are signed out</h1>
      <p>You can close this window.</p>`,
  });
};
