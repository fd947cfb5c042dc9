import type { Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { products } from '../../core/sign-in/products.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { setBindingCookie } from '../shared/binding-cookie.js';
import { canonicalCallbackUrl } from '../shared/callback-path.js';
import { okEnvelope, sendEnvelope } from './envelope.js';
import type { StartSocialAuthenticationBody } from './schemas.js';
import { securityContext } from './tenant.js';
import { securityApiTarget } from './token-policy.js';

/** The IdP keywords of the Security API, and the connector kind each names. */
const idpKeywords: Readonly<Record<string, { name: string; kind: string }>> = Object.fromEntries(
  products.map(({ kind, name }) => [name.toLowerCase(), { name, kind }]),
);

/**
 * `IdpName` → the tenant's connection: a keyword names the connection of that kind (the one whose id is the kind,
 * else the only one of the kind); anything else is a connection id.
 * @throws GatehouseError `not_found`
 */
const connectionFor = async (core: Core, tenant: Tenant, idpName: string) => {
  const keyword = idpKeywords[idpName.toLowerCase()];
  if (keyword === undefined) {
    const connection = await core.connections.get(tenant.id, idpName);
    if (connection === undefined) throw new GatehouseError('not_found', `IdpName ${idpName} is not configured`);
    return connection.id;
  }
  const ofKind = (await core.connections.list(tenant.id)).filter((c) => c.kind === keyword.kind);
  const connection = ofKind.find((c) => c.id === keyword.kind) ?? (ofKind.length === 1 ? ofKind[0] : undefined);
  if (connection === undefined) throw new GatehouseError('not_found', `IdpName ${keyword.name} is not configured`);
  return connection.id;
};

/**
 * `POST /Security/StartSocialAuthentication`: the URL to send the user to. `PostExtIdpAuthCallbackUrl` must be one
 * of the callback URLs of a client of the tenant, exactly; otherwise nothing is stored and no redirect will ever go
 * there. Every flow is bound to its starter, so that a callback URL completed in another browser cannot log that
 * browser in: a call a same-origin page made from a browser (`Sec-Fetch-Site: same-origin`) gets a cookie; any other
 * caller (a native app, a server) gets `ExtIdpAuthResumeSecret`, to send back with `ResumeFromExtIdpAuth`.
 */
export const startSocialAuthentication = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const body = request.body as Static<typeof StartSocialAuthenticationBody>;
  const context = await securityContext(core, request, body.TenantId);
  const { tenant } = context;
  const callbackUrl = body.PostExtIdpAuthCallbackUrl;
  const client = (await core.clients.list(tenant.id)).find((c) => c.callbackUrls.includes(callbackUrl));
  if (client === undefined)
    throw new GatehouseError('invalid_request', 'PostExtIdpAuthCallbackUrl is not an allowed callback URL');
  const connectionId = await connectionFor(core, tenant, body.IdpName);
  const binding = request.headers['sec-fetch-site'] === 'same-origin' ? 'browser' : 'app';
  const started = await core.login.beginUpstreamLogin({
    tenant,
    connectionId,
    target: securityApiTarget(client.clientId, callbackUrl),
    // The connection's one canonical callback URL, whatever host or TenantId the call named (the older forms stay
    // served for flows already under way).
    callbackUrl: canonicalCallbackUrl(core.settings.publicUrl, tenant.id, connectionId),
    callbackName: connectionId,
    binding,
  });
  const result = { IdpRedirectUrl: started.authorizationUrl.href, Status: 'RedirectToIdp' };
  if (binding === 'app') return sendEnvelope(reply, okEnvelope({ ...result, ExtIdpAuthResumeSecret: started.binding }));
  setBindingCookie(reply, core.settings.publicUrl, started.state, started.binding);
  return sendEnvelope(reply, okEnvelope(result));
};
