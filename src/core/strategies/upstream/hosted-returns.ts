import { flowsRepo } from '../../../store/repositories/flows.js';
import type { CoreDeps } from '../../deps.js';
import { type ErrorCode, errorCatalog } from '../../errors.js';
import { checkBinding, flowInvalid, stateDigest, tenantOfState } from '../../flows/flow.js';
import type { Tenant } from '../../tenants/tenant.js';

export interface FailedHostedLoginInput {
  readonly tenant: Tenant;
  readonly state: string;
  readonly browserBinding: string | undefined;
  /** The authorization request asking: must be the flow's. */
  readonly requestId: string;
}

const isErrorCode = (code: string | null): code is ErrorCode => code !== null && Object.hasOwn(errorCatalog, code);

/**
 * Why an upstream login of the hosted pages failed: the error code its flow ended with, so that the authorization
 * request it served can answer its client with it. Only this browser, only for that request, only while the flow
 * would still be live.
 * @throws GatehouseError `flow_invalid` (unknown, expired, not failed, another browser or another request).
 */
export const createFailedHostedLogin =
  (deps: CoreDeps) =>
  async (input: FailedHostedLoginInput): Promise<ErrorCode> => {
    const row = await flowsRepo.findByState(deps.db, stateDigest(input.state));
    if (row === undefined || row.tenant_id !== input.tenant.id || row.expires_at <= deps.clock.now())
      throw flowInvalid();
    checkBinding(row, input.browserBinding, 'resume');
    if (row.status !== 'failed' || row.target.kind !== 'oauth_authorize' || row.target.requestId !== input.requestId)
      throw flowInvalid();
    return isErrorCode(row.error) ? row.error : 'server_error';
  };

export interface ExpiredHostedLoginInput {
  readonly state: string;
  readonly browserBinding: string | undefined;
  /** The tenant the callback URL names, when it names one. */
  readonly tenantId?: string;
}

/**
 * An IdP callback that came too late: the upstream flow of this browser expired while the user was at the IdP. The
 * flow is ended (it can never be answered), and its hosted sign-in page is returned, for the browser to go back to
 * (its authorization request may well still be valid). Undefined for anything else (unknown, another browser, an API
 * caller's flow, a flow that did not expire at the IdP): those stay `flow_invalid`.
 */
export const createExpiredHostedLogin =
  (deps: CoreDeps) =>
  async (input: ExpiredHostedLoginInput): Promise<string | undefined> => {
    const tenantId = tenantOfState(input.state);
    if (tenantId === undefined || (input.tenantId !== undefined && input.tenantId !== tenantId)) return undefined;
    const row = await flowsRepo.findByState(deps.db, stateDigest(input.state));
    const now = deps.clock.now();
    if (row === undefined || row.tenant_id !== tenantId || row.expires_at > now || row.status !== 'at_idp')
      return undefined;
    if (row.target.kind !== 'oauth_authorize' || row.binding_kind !== 'browser') return undefined;
    try {
      checkBinding(row, input.browserBinding, 'resume');
    } catch {
      return undefined;
    }
    await flowsRepo.end(deps.db, row.id, 'failed', 'flow_invalid', now);
    return row.target.signInPage;
  };
