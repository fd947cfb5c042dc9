import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { sessionLifetimeSeconds } from '../../core/sessions/sessions.js';
import { constantTimeEqual } from '../../lib/crypto.js';
import { errorRedirectUrl } from '../shared/authorization-response.js';
import { clearBindingCookie, readBindingCookie, setBindingCookie } from '../shared/binding-cookie.js';
import { bindingCookie, browserOf, clearCookie, readCookie, sessionCookie, setCookie } from '../shared/cookies.js';
import { hostedUpstreamCallback, signInPageUrl, upstreamStartUrl } from '../shared/paths.js';
import type { UpstreamLoginStarter } from '../shared/upstream-login.js';
import { continueToClient } from './consent.js';
import { cancelToken, pendingRequest } from './pending-request.js';

const requestParams = (request: FastifyRequest) =>
  request.params as { tenant: string; request: string; connection?: string };

/** The `idp_hint` seam of the OAuth surface: `authorize` sends the browser to the upstream start of its request. */
export const upstreamLoginStarter =
  (core: Core): UpstreamLoginStarter =>
  async ({ tenant, request, connectionId }) =>
    new URL(upstreamStartUrl(signInPageUrl(core.tokens.issuerOf(tenant.id), request.id), connectionId));

/**
 * `GET /t/{tenant}/sign-in/{request}/upstream/{connection}` (a provider button, or `idp_hint`): starts a login flow
 * bound to this browser for the pending authorization request, and sends the browser to the IdP.
 */
export const startHostedUpstreamLogin = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const params = requestParams(request);
  const tenant = await core.tenants.require(params.tenant);
  const { pending } = await pendingRequest(core, tenant, request);
  const connectionId = params.connection ?? '';
  const started = await core.login.beginUpstreamLogin({
    tenant,
    connectionId,
    ...hostedUpstreamCallback(core.settings.publicUrl, tenant.id, connectionId),
    target: {
      kind: 'oauth_authorize',
      requestId: pending.id,
      clientId: pending.clientId,
      signInPage: signInPageUrl(core.tokens.issuerOf(tenant.id), pending.id),
    },
    binding: 'browser',
    ...(pending.params.loginHint === undefined ? {} : { loginHint: pending.params.loginHint }),
  });
  setBindingCookie(reply, core.settings.publicUrl, started.state, started.binding);
  return reply.redirect(started.authorizationUrl.href, 303);
};

/**
 * `GET /t/{tenant}/sign-in/{request}/upstream-done?login={state}`: takes the completed login (upstream, or a password
 * followed by a second factor; once, this browser),
 * starts the single sign-on session, completes the authorization request and returns to the client with a code.
 */
export const finishHostedUpstreamLogin = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const params = requestParams(request);
  const tenant = await core.tenants.require(params.tenant);
  const { pending, binding } = await pendingRequest(core, tenant, request);
  const { login: state } = request.query as { login?: string };
  if (state === undefined) throw new GatehouseError('flow_invalid', 'the sign-in link is incomplete');
  const flow = await core.login.takeCompletedLogin({
    tenant,
    state,
    browserBinding: readBindingCookie(request, core.settings.publicUrl, state),
    requestId: pending.id,
  });
  const signedIn = {
    userId: flow.userId ?? '',
    amr: flow.amr,
    authTime: flow.authTime ?? core.clock.now(),
    ...(flow.identityId === null ? {} : { identityId: flow.identityId }),
  };
  const session = sessionCookie(core.settings.publicUrl, tenant.id);
  const previous = readCookie(request, session);
  if (previous !== undefined) await core.sessions.end(tenant.id, previous);
  const started = await core.sessions.start({ tenant, ...signedIn, ...browserOf(request) });
  setCookie(reply, session, started.cookie, sessionLifetimeSeconds);
  clearBindingCookie(reply, core.settings.publicUrl, state);
  return continueToClient(core, reply, tenant, pending, binding, { ...signedIn, sid: started.session.sid });
};

/**
 * `GET /t/{tenant}/sign-in/{request}/cancel?token={token}` (the "Back to {app}" link of the request's pages): ends the
 * pending request, once, and returns to the client with `access_denied` (RFC 6749 §4.1.2.1, with `state` and `iss`).
 */
export const cancelHostedRequest = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const params = requestParams(request);
  const tenant = await core.tenants.require(params.tenant);
  const { pending, binding } = await pendingRequest(core, tenant, request);
  const { token } = request.query as { token?: string };
  if (typeof token !== 'string' || !constantTimeEqual(token, cancelToken(binding)))
    throw new GatehouseError('forbidden', 'the link is stale; reload the page and try again');
  const target = await core.login.authorizationRequests.decline(tenant, pending.id, binding);
  clearCookie(reply, bindingCookie(core.settings.publicUrl, tenant.id, pending.id));
  return reply.redirect(
    errorRedirectUrl(target, new GatehouseError('access_denied', 'the user cancelled the sign-in')),
    303,
  );
};

/**
 * `GET /t/{tenant}/sign-in/{request}/failed?login={state}`: an upstream login of this browser for this request failed
 * in a way the app should handle (a disabled account, an IdP that failed, an account that cannot be used): the request
 * ends, and the client gets the error (`access_denied`, `temporarily_unavailable`, `server_error`, …) with `state`
 * and `iss`.
 */
export const returnFailedLogin = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const params = requestParams(request);
  const tenant = await core.tenants.require(params.tenant);
  const { pending, binding } = await pendingRequest(core, tenant, request);
  const { login: state } = request.query as { login?: string };
  if (typeof state !== 'string') throw new GatehouseError('flow_invalid', 'the sign-in link is incomplete');
  const code = await core.login.failedHostedLogin({
    tenant,
    state,
    browserBinding: readBindingCookie(request, core.settings.publicUrl, state),
    requestId: pending.id,
  });
  const target = await core.login.authorizationRequests.decline(tenant, pending.id, binding);
  clearBindingCookie(reply, core.settings.publicUrl, state);
  clearCookie(reply, bindingCookie(core.settings.publicUrl, tenant.id, pending.id));
  return reply.redirect(errorRedirectUrl(target, new GatehouseError(code)), 303);
};
