import type { PendingAuthorization } from '../../core/login/authorization-requests.js';
import type { Tenant } from '../../core/tenants/tenant.js';

/**
 * The extension point for `idp_hint` ("go straight to this provider"): given the stored authorization request and
 * the connection named by the hint, returns the URL of the upstream IdP to send the browser to. The upstream flow
 * later finishes the request with `core.login.authorizationRequests.complete`.
 *
 * Supplied to the OAuth surface as `upstreamLogin` by the browser surface's hosted upstream login. Without one, `idp_hint` is still
 * validated and stored with the pending request (`params.idpHint`), and the hosted sign-in page is shown.
 */
export type UpstreamLoginStarter = (input: {
  readonly tenant: Tenant;
  readonly request: PendingAuthorization;
  /** The connection id the client named in `idp_hint`. */
  readonly connectionId: string;
}) => Promise<URL>;
