import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import type { Messages } from '../../lib/i18n.js';
import { html, type SafeHtml } from '../shared/html.js';
import { upstreamStartUrl } from '../shared/paths.js';
import { providerMark } from './provider-marks.js';

/** Connections in the tenant's `branding.providerOrder`; the rest after them, in their stored order. */
const ordered = <T extends { readonly id: string }>(connections: readonly T[], order: readonly string[]): T[] => {
  const rank = (id: string) => {
    const at = order.indexOf(id);
    return at === -1 ? order.length : at;
  };
  return connections
    .map((connection, index) => ({ connection, index }))
    .sort((a, b) => rank(a.connection.id) - rank(b.connection.id) || a.index - b.index)
    .map((entry) => entry.connection);
};

/**
 * "Continue with …" buttons of the hosted sign-in page: one per connection of the tenant, in the tenant's order, each
 * with the provider's mark, starting the upstream login of this pending request. Links styled as buttons, not forms:
 * the IdP's origin is not a CSP `form-action` source. A connection that cannot be built (misconfigured) is left out
 * rather than breaking the page. Empty when the tenant has no connection.
 */
export const providerButtons = async (
  core: Core,
  tenant: Tenant,
  signInPage: string,
  messages: Messages,
): Promise<SafeHtml[]> => {
  const connections = ordered(await core.connections.list(tenant.id), tenant.policies.branding?.providerOrder ?? []);
  const buttons: SafeHtml[] = [];
  for (const connection of connections) {
    const connector = await core.login.connectors.get(tenant.id, connection.id).catch(() => undefined);
    if (connector === undefined) continue;
    buttons.push(
      html`<li><a class="provider" href="${upstreamStartUrl(signInPage, connection.id)}">${providerMark(connection.kind)}<span>${messages.t(
        'sign_in.continue_with',
        { provider: connector.displayName },
      )}</span></a></li>`,
    );
  }
  return buttons;
};
