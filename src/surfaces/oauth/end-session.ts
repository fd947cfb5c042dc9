import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { html, sendPage } from '../pages/html.js';
import { cookieOptions, sessionCookie } from './cookies.js';
import type { EndSessionRequest } from './schemas.js';
import { tenantOf } from './tenant.js';

/** Where to send the browser after signing out: only a URI registered for the client, matched exactly. */
const postLogoutTarget = async (core: Core, tenant: Tenant, params: EndSessionRequest): Promise<string | undefined> => {
  const uri = params.post_logout_redirect_uri;
  const hint =
    params.id_token_hint === undefined
      ? undefined
      : await core.tokens.verifyIdTokenHint(tenant.id, params.id_token_hint);
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

/**
 * `GET|POST /logout` (OpenID Connect RP-Initiated Logout 1.0): ends the browser's session at this tenant, then
 * returns to the client's registered `post_logout_redirect_uri` (with `state`) or shows a signed-out page.
 */
export const endSessionEndpoint = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const params = (request.method === 'POST' ? request.body : request.query) as EndSessionRequest;
  const target = await postLogoutTarget(core, tenant, params);
  const cookie = request.cookies[sessionCookie];
  if (cookie !== undefined) await core.sessions.end(tenant.id, cookie);
  const { maxAge: _, ...options } = cookieOptions(core.tokens.issuerOf(tenant.id), 0);
  reply.clearCookie(sessionCookie, options);
  if (target !== undefined) return reply.redirect(target, 303);
  return sendPage(reply, {
    status: 200,
    title: 'Signed out',
    body: html`<h1>You are signed out</h1>
      <p>You can close this window.</p>`,
  });
};
