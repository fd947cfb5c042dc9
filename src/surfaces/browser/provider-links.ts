import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { html, type SafeHtml } from '../shared/html.js';
import { upstreamStartUrl } from '../shared/paths.js';

/**
 * "Continue with …" links of the hosted sign-in page: one per connection of the tenant, each starting the upstream
 * login of this pending request. Links, not forms: the IdP's origin is not a CSP `form-action` source. A connection
 * that cannot be built (misconfigured) is left out rather than breaking the page.
 */
export const providerLinks = async (core: Core, tenant: Tenant, signInPage: string): Promise<SafeHtml> => {
  const connections = await core.connections.list(tenant.id);
  const links: SafeHtml[] = [];
  for (const connection of connections) {
    const connector = await core.login.connectors.get(tenant.id, connection.id).catch(() => undefined);
    if (connector === undefined) continue;
    links.push(
      html`<li><a href="${upstreamStartUrl(signInPage, connection.id)}">Continue with ${connector.displayName}</a></li>`,
    );
  }
  return links.length === 0 ? html`` : html`<p class="muted">or</p><ul>${links}</ul>`;
};
