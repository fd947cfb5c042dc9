import type { FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { sha256 } from '../../lib/crypto.js';
import { messagesFor } from '../../lib/i18n.js';
import { readBindingCookie } from '../shared/binding-cookie.js';
import { bindingCookie, readCookie } from '../shared/cookies.js';
import type { ErrorPageOptions } from '../shared/error-page.js';
import { cspSourceOf, html, type SafeHtml } from '../shared/html.js';
import { signInPageUrl } from '../shared/paths.js';

/**
 * The flow of a page reached with `?login={state}` (the second-factor, link and address pages): its tenant, its state
 * and the browser binding this browser's cookie holds for it.
 * @throws GatehouseError `flow_invalid` when this browser holds no binding for it
 */
export const locatedFlow = async (core: Core, request: FastifyRequest) => {
  const { tenant: tenantId } = request.params as { tenant: string };
  const tenant = await core.tenants.require(tenantId);
  const state = (request.query as { login?: string }).login ?? '';
  const binding = readBindingCookie(request, core.settings.publicUrl, state);
  if (binding === undefined) throw new GatehouseError('flow_invalid', 'this sign-in was started in another browser');
  return { tenant, state, binding };
};

/**
 * The pending authorization request of the `:request` path parameter that this browser started (its binding cookie,
 * scoped to the request's sign-in pages), with that binding.
 * @throws GatehouseError `flow_invalid` when it is unknown, expired or another browser's
 */
export const pendingRequest = async (core: Core, tenant: Tenant, request: FastifyRequest) => {
  const { request: id } = request.params as { request: string };
  const binding = readCookie(request, bindingCookie(core.settings.publicUrl, tenant.id, id));
  const pending =
    binding === undefined ? undefined : await core.login.authorizationRequests.find(tenant.id, id, binding);
  if (pending === undefined || binding === undefined)
    throw new GatehouseError(
      'flow_invalid',
      'the sign-in request is unknown, expired or was started in another browser',
    );
  return { pending, binding };
};

/**
 * The token of the "Back to the app" link of a pending request's pages: derived from the request's browser binding, so
 * only a page this browser was shown can end the request (nothing to store, nothing a cross-site page can compute).
 */
export const cancelToken = (binding: string): string => sha256(`cancel:${binding}`);

/**
 * "Back to {app}" as a button (a GET form: no script, a full-size touch target) that ends the pending request; the
 * app hears `access_denied`. The page's CSP `form-action` must allow the client's redirect URI (the form's redirect).
 */
export const backToAppButton = (signInPage: string, binding: string, label: string): SafeHtml =>
  html`<form method="get" action="${signInPage}/cancel">
      <input type="hidden" name="token" value="${cancelToken(binding)}">
      <button type="submit" class="secondary">${label}</button>
    </form>`;

/** Why the browser is back at the sign-in page: it cancelled at the IdP, or took too long there. */
export type SignInNotice = 'cancelled' | 'expired';

export const signInNotices: readonly SignInNotice[] = ['cancelled', 'expired'];

/** The sign-in page, with a notice of what happened on the way. */
export const signInPageWithNotice = (signInPage: string, notice: SignInNotice): string => {
  const url = new URL(signInPage);
  url.searchParams.set('notice', notice);
  return url.href;
};

/** Where a failed upstream login of the page goes: the page that answers the app with the failure. */
export const failedLoginUrl = (signInPage: string): string => `${signInPage}/failed`;

/** The page that asks for an address (proven by a mailed code) when the IdP gave none the tenant can use. */
export const addressPageUrl = (signInPage: string): string => `${signInPage}/email`;

/** The page that asks for proof of an existing account before an identity is linked to it. */
export const linkPageUrl = (signInPage: string): string => `${signInPage}/link`;

/**
 * The app an error page of a pending request's pages can send the person back to (with `access_denied`): only when
 * the request is live and this browser's. Nothing when it is not (the error may be just that).
 */
export const knownApp = async (core: Core, request: FastifyRequest): Promise<ErrorPageOptions> => {
  const { tenant: tenantId, request: requestId } = (request.params ?? {}) as { tenant?: string; request?: string };
  if (tenantId === undefined || requestId === undefined) return {};
  try {
    const tenant = await core.tenants.get(tenantId);
    if (tenant === undefined) return {};
    const { pending, binding } = await pendingRequest(core, tenant, request);
    const client = await core.clients.find(pending.clientId);
    const { t } = messagesFor({ acceptLanguage: request.headers['accept-language'] });
    return {
      app: {
        name: client?.name ?? t('common.the_application'),
        action: `${signInPageUrl(core.tokens.issuerOf(tenant.id), pending.id)}/cancel`,
        fields: { token: cancelToken(binding) },
        redirectSource: cspSourceOf(pending.params.redirectUri),
      },
    };
  } catch {
    return {};
  }
};
