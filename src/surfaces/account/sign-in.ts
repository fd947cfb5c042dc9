import type { FastifyReply, FastifyRequest } from 'fastify';
import { isGatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { authorizationRequestLifetimeSeconds } from '../../core/login/authorization-requests.js';
import type { Session } from '../../core/sessions/sessions.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { pkceChallenge, randomToken, sha256 } from '../../lib/crypto.js';
import { bindingCookie, readCookie, sessionCookie, setCookie } from '../shared/cookies.js';
import { signInPageUrl } from '../shared/paths.js';

/** The tenant's built-in client of the account page: public, first-party, one redirect URI on this surface. */
export const accountClientId = (tenantId: string): string => `gatehouse-account.${tenantId}`;

/** Where the hosted sign-in sends the browser back to the account page. */
export const accountReturnUrl = (core: Core, tenant: Tenant): string =>
  `${core.tokens.issuerOf(tenant.id)}/account/signed-in`;

export const accountPageUrl = (core: Core, tenant: Tenant): string => `${core.tokens.issuerOf(tenant.id)}/account`;

/** The signed-in browser: its session and the cookie behind it (the forms' CSRF tokens derive from it). */
export interface SignedInBrowser {
  readonly tenant: Tenant;
  readonly session: Session;
  readonly cookie: string;
  /** The forms' CSRF token: derived from the session cookie, which only this browser holds. */
  readonly csrf: string;
}

/** The live session of this browser at the tenant, if any. */
export const browserSession = async (
  core: Core,
  tenant: Tenant,
  request: FastifyRequest,
): Promise<SignedInBrowser | undefined> => {
  const cookie = readCookie(request, sessionCookie(core.settings.publicUrl, tenant.id));
  const session = cookie === undefined ? undefined : await core.sessions.find(tenant, cookie);
  if (session === undefined || cookie === undefined) return undefined;
  return { tenant, session, cookie, csrf: sha256(`account:${cookie}`) };
};

/** The account client of the tenant, created the first time a browser needs it (a race creates it once). */
const ensureAccountClient = async (core: Core, tenant: Tenant): Promise<string> => {
  const clientId = accountClientId(tenant.id);
  if ((await core.clients.find(clientId)) !== undefined) return clientId;
  try {
    await core.clients.create(tenant.id, {
      clientId,
      name: 'Account',
      public: true,
      redirectUris: [accountReturnUrl(core, tenant)],
      grantTypes: ['authorization_code'],
      settings: { consent: 'skip', scopes: ['openid'] },
    });
  } catch (error) {
    if (!(isGatehouseError(error) && error.code === 'conflict')) throw error;
  }
  return clientId;
};

/**
 * Sends the browser through the hosted sign-in page to come back to the account page: a pending authorization request
 * of the tenant's account client, bound to this browser. `fresh`: the person signs in again even with a session
 * (`prompt=login`), for the changes that need a recent sign-in. The code the sign-in ends with is never redeemed: its
 * PKCE verifier is thrown away here, so no one can; what the account page needs is the session the sign-in started.
 */
export const sendToSignIn = async (core: Core, tenant: Tenant, reply: FastifyReply, fresh: boolean) => {
  const clientId = await ensureAccountClient(core, tenant);
  const { request, binding } = await core.login.authorizationRequests.begin({
    tenantId: tenant.id,
    clientId,
    params: {
      redirectUri: accountReturnUrl(core, tenant),
      scope: 'openid',
      codeChallenge: pkceChallenge(randomToken(32)),
      prompt: fresh ? ['login'] : [],
    },
  });
  setCookie(
    reply,
    bindingCookie(core.settings.publicUrl, tenant.id, request.id),
    binding,
    authorizationRequestLifetimeSeconds,
  );
  return reply.redirect(signInPageUrl(core.tokens.issuerOf(tenant.id), request.id), 303);
};
