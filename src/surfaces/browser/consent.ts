import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { PendingAuthorization, SignedIn } from '../../core/login/authorization-requests.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { constantTimeEqual, sha256 } from '../../lib/crypto.js';
import { codeRedirectUrl, errorRedirectUrl } from '../shared/authorization-response.js';
import { bindingCookie, clearCookie, readCookie, sessionCookie } from '../shared/cookies.js';
import { cspSourceOf, html, sendPage } from '../shared/html.js';
import { consentPageUrl } from '../shared/paths.js';
import { tenantOf } from '../shared/tenant.js';
import { pageContext, pageIn } from './page-context.js';

export const ConsentForm = Type.Object({
  csrf: Type.String({ minLength: 1, maxLength: 100 }),
  decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
});
interface ConsentForm {
  readonly csrf: string;
  readonly decision: 'allow' | 'deny';
}

/** What each standard scope lets the application do: the message key of its words. */
const scopeWords: Readonly<Record<string, string>> = {
  openid: 'consent.scope.openid',
  profile: 'consent.scope.profile',
  email: 'consent.scope.email',
  offline_access: 'consent.scope.offline_access',
};

const csrfToken = (binding: string): string => sha256(`consent:${binding}`);

const scopesOf = (pending: PendingAuthorization): string[] => pending.params.scope.split(' ').filter(Boolean);

/**
 * Where a signed-in user goes next for a pending request: the consent page when its client is a third party the user
 * has not allowed these scopes, else straight back to the client with a code. The caller has set the session.
 */
export const continueToClient = async (
  core: Core,
  reply: FastifyReply,
  tenant: Tenant,
  pending: PendingAuthorization,
  binding: string,
  signedIn: SignedIn,
) => {
  const issuer = core.tokens.issuerOf(tenant.id);
  const client = await core.clients.require(tenant.id, pending.clientId);
  const need = await core.consent.need(client, signedIn.userId, scopesOf(pending), pending.params.prompt);
  if (need.ask) return reply.redirect(consentPageUrl(issuer, pending.id), 303);
  const result = await core.login.authorizationRequests.complete(tenant, pending.id, binding, signedIn);
  clearCookie(reply, bindingCookie(core.settings.publicUrl, tenant.id, pending.id));
  return reply.redirect(codeRedirectUrl(result), 303);
};

/** The pending request of this browser and the user of its session. @throws GatehouseError `flow_invalid` */
const located = async (core: Core, tenant: Tenant, request: FastifyRequest) => {
  const { request: id } = request.params as { request: string };
  const binding = readCookie(request, bindingCookie(core.settings.publicUrl, tenant.id, id));
  const pending =
    binding === undefined ? undefined : await core.login.authorizationRequests.find(tenant.id, id, binding);
  const cookie = readCookie(request, sessionCookie(core.settings.publicUrl, tenant.id));
  const session = cookie === undefined ? undefined : await core.sessions.find(tenant, cookie);
  if (pending === undefined || binding === undefined || session === undefined)
    throw new GatehouseError(
      'flow_invalid',
      'the sign-in request is unknown, expired, was started in another browser, or you are no longer signed in',
    );
  const client = await core.clients.require(tenant.id, pending.clientId);
  const signedIn: SignedIn = {
    userId: session.userId,
    amr: session.amr,
    authTime: session.authTime,
    sid: session.sid,
  };
  return { pending, binding, client, signedIn };
};

/** `GET /sign-in/:request/consent`: which application asks, for what; allow or deny. */
export const showConsent = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const { pending, binding, client, signedIn } = await located(core, tenant, request);
  const need = await core.consent.need(client, signedIn.userId, scopesOf(pending), pending.params.prompt);
  const user = await core.users.require(tenant.id, signedIn.userId);
  const issuer = core.tokens.issuerOf(tenant.id);
  const asked = need.scopes.length === 0 ? ['openid'] : need.scopes;
  const context = pageContext(request, tenant, { client, uiLocales: pending.params.uiLocales });
  const { t } = context.messages;
  const app = client.settings.branding?.displayName ?? client.name;
  const org = tenant.policies.branding?.displayName ?? tenant.name;
  return sendPage(
    reply,
    pageIn(context, {
      status: 200,
      title: t('consent.title', { app }),
      // Both answers redirect to the client: CSP form-action must allow its origin.
      formActions: [cspSourceOf(issuer), cspSourceOf(pending.params.redirectUri)],
      body: html`<h1>${t('consent.heading', { app })}</h1>
      <p class="muted">${t('consent.signed_in_as', { user: user.email ?? user.id, org })}
        ${t('consent.third_party', { app, org })}</p>
      <h2 id="scopes-heading">${t('consent.will_be_able_to', { app })}</h2>
      <ul class="scopes" aria-labelledby="scopes-heading">
        ${asked.map((scope) => {
          const words = scopeWords[scope];
          return html`<li>${words === undefined ? html`${t('consent.scope.other')} <code>${scope}</code>` : t(words)}${
            need.newScopes.includes(scope) && need.newScopes.length < need.scopes.length
              ? html` <span class="new">${t('consent.new')}</span>`
              : ''
          }</li>`;
        })}
      </ul>
      <form method="post" action="${consentPageUrl(issuer, pending.id)}">
        <input type="hidden" name="csrf" value="${csrfToken(binding)}">
        <button type="submit" name="decision" value="allow">${t('consent.allow')}</button>
        <button type="submit" name="decision" value="deny" class="secondary">${t('consent.deny')}</button>
      </form>`,
    }),
  );
};

/**
 * `POST /sign-in/:request/consent`: `allow` remembers the scopes and returns to the client with a code; `deny` returns
 * `access_denied` (with `state` and `iss`). Either way the request is finished.
 */
export const submitConsent = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const { pending, binding, client, signedIn } = await located(core, tenant, request);
  const form = request.body as ConsentForm;
  if (!constantTimeEqual(form.csrf, csrfToken(binding)))
    throw new GatehouseError('forbidden', 'the form is stale; reload the page and try again');
  const bindingCookieOf = bindingCookie(core.settings.publicUrl, tenant.id, pending.id);
  const scopes = scopesOf(pending);
  if (form.decision === 'deny') {
    const target = await core.login.authorizationRequests.decline(tenant, pending.id, binding);
    core.consent.deny(client, signedIn.userId, scopes, request.ip);
    clearCookie(reply, bindingCookieOf);
    return reply.redirect(
      errorRedirectUrl(target, new GatehouseError('access_denied', 'the user did not allow the application')),
      303,
    );
  }
  await core.consent.allow(client, signedIn.userId, scopes, request.ip);
  const result = await core.login.authorizationRequests.complete(tenant, pending.id, binding, signedIn);
  clearCookie(reply, bindingCookieOf);
  return reply.redirect(codeRedirectUrl(result), 303);
};
