import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { authorizationRequestLifetimeSeconds } from '../../core/login/authorization-requests.js';
import type { Session } from '../../core/sessions/sessions.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { codeRedirectUrl, errorRedirectUrl } from '../shared/authorization-response.js';
import { bindingCookie, readCookie, sessionCookie, setCookie } from '../shared/cookies.js';
import { toGatehouseError } from '../shared/errors.js';
import { logError } from '../shared/log-error.js';
import { consentPageUrl, signInPageUrl } from '../shared/paths.js';
import { tenantOf } from '../shared/tenant.js';
import type { UpstreamLoginStarter } from '../shared/upstream-login.js';
import { authorizationParams, authorizationTarget, type RawParams, single } from './authorization-request.js';

/** The browser's single sign-on session at this tenant, if it is live and young enough for `max_age`. */
const usableSession = async (
  core: Core,
  tenant: Tenant,
  request: FastifyRequest,
  maxAge: number | undefined,
): Promise<Session | undefined> => {
  const cookie = readCookie(request, sessionCookie(core.settings.publicUrl, tenant.id));
  // A session whose sign-in does not meet the tenant's second-factor policy is not found: the user signs in again.
  const session = cookie === undefined ? undefined : await core.sessions.find(tenant, cookie);
  if (session === undefined || maxAge === undefined) return session;
  // OIDC Core §3.1.2.1: re-authenticate when the last sign-in is older than max_age.
  const ageSeconds = (core.clock.now().getTime() - session.authTime.getTime()) / 1000;
  return ageSeconds <= maxAge ? session : undefined;
};

/**
 * `GET|POST /authorize` (RFC 6749 §4.1.1, OIDC Core §3.1.2): validates the client and redirect URI (errors before
 * that are a page, never a redirect), then answers from the SSO session, or stores the request and sends the
 * browser to the hosted sign-in page (or, with `idp_hint` and an upstream flow, to that IdP).
 */
export const authorizeEndpoint =
  (core: Core, upstreamLogin: UpstreamLoginStarter | undefined) =>
  async (request: FastifyRequest, reply: FastifyReply) => {
    const tenant = tenantOf(request);
    const raw = ((request.method === 'POST' ? request.body : request.query) ?? {}) as RawParams;
    const target = await authorizationTarget(core, tenant, raw);
    try {
      const params = authorizationParams(core, target, raw);
      const hintText = single(raw, 'id_token_hint', 8192);
      const hint = hintText === undefined ? undefined : await core.tokens.verifyIdTokenHint(tenant.id, hintText);
      let session = params.prompt.includes('login')
        ? undefined
        : await usableSession(core, tenant, request, params.maxAge);
      if (session !== undefined && hint !== undefined && hint.subject !== session.userId) {
        // OIDC Core §3.1.2.1: the user the hint names is not the one signed in here; that session is not used.
        if (params.prompt.includes('none'))
          throw new GatehouseError('login_required', 'the signed-in user is not the one id_token_hint names');
        session = undefined;
      }
      const consent =
        session === undefined
          ? undefined
          : await core.consent.need(
              target.client,
              session.userId,
              params.scope.split(' ').filter(Boolean),
              params.prompt,
            );
      if (session !== undefined && consent?.ask === true) {
        // A third-party client the user has not allowed this yet: the consent page, with the request stored.
        if (params.prompt.includes('none'))
          throw new GatehouseError('consent_required', 'the user has not allowed this application these scopes');
        const pending = await core.login.authorizationRequests.begin({
          tenantId: tenant.id,
          clientId: target.client.clientId,
          params,
        });
        setCookie(
          reply,
          bindingCookie(core.settings.publicUrl, tenant.id, pending.request.id),
          pending.binding,
          authorizationRequestLifetimeSeconds,
        );
        return reply.redirect(consentPageUrl(target.issuer, pending.request.id), 303);
      }
      if (session !== undefined) {
        const signedIn = {
          userId: session.userId,
          amr: session.amr,
          authTime: session.authTime,
          sid: session.sid,
          ...(session.identityId === undefined ? {} : { identityId: session.identityId }),
        };
        const result = await core.login.authorizationRequests.approve(tenant, target.client.clientId, params, signedIn);
        return reply.redirect(codeRedirectUrl(result), 303);
      }
      if (params.prompt.includes('none')) throw new GatehouseError('login_required', 'the user is not signed in');
      const pending = await core.login.authorizationRequests.begin({
        tenantId: tenant.id,
        clientId: target.client.clientId,
        params,
      });
      const page = signInPageUrl(target.issuer, pending.request.id);
      setCookie(
        reply,
        bindingCookie(core.settings.publicUrl, tenant.id, pending.request.id),
        pending.binding,
        authorizationRequestLifetimeSeconds,
      );
      if (params.idpHint !== undefined && upstreamLogin !== undefined) {
        const url = await upstreamLogin({ tenant, request: pending.request, connectionId: params.idpHint });
        return reply.redirect(url.href, 303);
      }
      return reply.redirect(page, 303);
    } catch (error) {
      // From here on the redirect URI is validated: errors go back to the client (RFC 6749 §4.1.2.1).
      const e = toGatehouseError(error);
      logError(request, e);
      return reply.redirect(errorRedirectUrl(target, e), 303);
    }
  };
