import { isConnectorError } from '../../../connectors/errors.js';
import { flowsRepo } from '../../../store/repositories/flows.js';
import { usersRepo } from '../../../store/repositories/users.js';
import type { LoginFlowRow } from '../../../store/schema.js';
import { type AccountResolution, isSignedIn } from '../../accounts/outcomes.js';
import type { AccountResolver } from '../../accounts/resolve-account.js';
import type { AuditLog } from '../../audit/events.js';
import type { CoreDeps } from '../../deps.js';
import { GatehouseError } from '../../errors.js';
import {
  checkBinding,
  flowInvalid,
  type LoginFlow,
  requireLiveFlow,
  stateDigest,
  tenantOfState,
  toLoginFlow,
} from '../../flows/flow.js';
import { beginLink } from '../../flows/kinds/link.js';
import type { TenantUseCases } from '../../tenants/tenants.js';
import type { User } from '../../users/user.js';
import { beginAddressStep } from './address.js';
import type { ConnectorCache } from './connectors.js';
import { toIdpDone } from './idp-done.js';

export interface CompleteUpstreamLoginInput {
  /** The name the callback was presented under; must be the one the flow was begun with (ignoring case). */
  readonly callbackName: string;
  /** The IdP's parameters: the query string, or Apple's form_post body. */
  readonly params: URLSearchParams;
  /** The browser-binding cookie, when the request carried one. */
  readonly browserBinding?: string;
  /** The tenant the callback URL names (`/t/{tenant}/…` or a tenant host name), when it names one. */
  readonly tenantId?: string;
  readonly ip?: string;
}

/**
 * The callback's result. `signed_in`: the flow is `idp_done` with its user, waiting to be resumed (second factor or
 * completion). `failed`: the flow ended (the user declined, the IdP failed, or the account cannot be used as is);
 * the flow and its target are known, so the surface may answer at the target with an error; `declined` when the user
 * cancelled at the IdP (they may pick another way). `link_needed` (hosted pages only): the identity's proven email
 * belongs to an existing account, and the flow is now a `link` flow waiting for proof of that account. `email_needed`
 * (hosted pages only): the IdP gave no address the tenant can use, and the flow waits for one the person proves.
 */
export type CompleteUpstreamLoginResult =
  | {
      readonly kind: 'signed_in';
      readonly state: string;
      readonly flow: LoginFlow;
      readonly user: User;
      readonly resolution: 'logged_in' | 'created' | 'linked';
    }
  | {
      readonly kind: 'failed';
      readonly state: string;
      readonly flow: LoginFlow;
      readonly error: GatehouseError;
      readonly declined: boolean;
    }
  | { readonly kind: 'link_needed'; readonly state: string; readonly flow: LoginFlow }
  | { readonly kind: 'email_needed'; readonly state: string; readonly flow: LoginFlow };

/**
 * The IdP's `error` when the person cancelled there (RFC 6749 §4.1.2.1 `access_denied`; Microsoft's and LinkedIn's own
 * names for it), as opposed to a failure of the IdP.
 */
const declinedAtIdp: ReadonlySet<string> = new Set([
  'access_denied',
  'user_cancelled_authorize',
  'user_cancelled_login',
]);

/** The outcomes that do not sign anyone in, as the error the flow ends with. */
const refusal = (resolution: Exclude<AccountResolution, { user: User }>, idpName: string): GatehouseError => {
  switch (resolution.kind) {
    case 'merge_needed':
      return new GatehouseError(
        'merge_needed',
        `an account with the email ${resolution.email} already exists: sign in to it first, then link ${idpName}`,
        { details: { email: resolution.email } },
      );
    case 'email_missing':
      return new GatehouseError('idp_email_missing', `${idpName} did not share an email address`);
    case 'new_user_required':
    case 'already_linked_elsewhere':
      return new GatehouseError('access_denied', 'this sign-in cannot be used for this account');
  }
};

/**
 * The answer half of `upstream`: the IdP's callback. Finds the flow by `state` (the tenant is its prefix), checks the callback
 * path and the browser binding, claims the callback (each state is accepted once), exchanges the code through the
 * connector (PKCE verifier and nonce unsealed from the flow), and resolves the account with sign-up intent
 * (log in, or create). The flow moves to `idp_done` in the same transaction as the account is written.
 * @throws GatehouseError `flow_invalid` when the state is malformed, unknown, expired, replayed, from another
 *   browser or for another callback path: nothing is known that could be trusted, so there is nowhere to return to.
 */
export const createCompleteUpstreamLogin =
  (
    deps: CoreDeps,
    parts: {
      tenants: TenantUseCases;
      connectors: ConnectorCache;
      accounts: AccountResolver;
      audit: AuditLog;
      mailer: { readonly available: boolean };
    },
  ) =>
  async (input: CompleteUpstreamLoginInput): Promise<CompleteUpstreamLoginResult> => {
    const state = input.params.get('state') ?? '';
    const tenantId = tenantOfState(state);
    if (tenantId === undefined || (input.tenantId !== undefined && input.tenantId !== tenantId)) throw flowInvalid();
    const tenant = await parts.tenants.get(tenantId);
    if (tenant === undefined) throw flowInvalid();
    const now = deps.clock.now();
    const found = requireLiveFlow(await flowsRepo.findByState(deps.db, stateDigest(state)), tenantId, now);
    if (found.callback_name?.toLowerCase() !== input.callbackName.toLowerCase()) throw flowInvalid();
    checkBinding(found, input.browserBinding, 'callback');
    const row = await flowsRepo.claimCallback(deps.db, found.id, now);
    if (row === undefined) throw flowInvalid();

    const fail = async (error: GatehouseError): Promise<CompleteUpstreamLoginResult> => {
      const ended = await flowsRepo.end(deps.db, row.id, 'failed', error.code, deps.clock.now());
      parts.audit.record({
        type: 'login.failed',
        outcome: 'failure',
        tenantId,
        ...(row.connection_id === null ? {} : { idp: row.connection_id }),
        ...(input.ip === undefined ? {} : { ip: input.ip }),
        details: { flow: row.id, code: error.code },
      });
      // The user cancelled at the IdP (its `error=access_denied`), as opposed to an account that cannot be used.
      const declined =
        error.code === 'idp_error' && isConnectorError(error.cause) && declinedAtIdp.has(String(error.details?.error));
      return { kind: 'failed', state, flow: toLoginFlow(ended ?? row), error, declined };
    };

    try {
      const connectionId = row.connection_id ?? '';
      const connector = await parts.connectors.get(tenantId, connectionId);
      const profile = await connector.completeAuthorization(
        { params: input.params },
        upstreamRequest(deps, row, state),
      );
      const connectionTrusted = await parts.connectors.trusted(tenantId, connectionId);
      const { resolution, result: moved } = await parts.accounts.resolve(
        { tenant, profile, intent: { kind: 'signup' }, connectionTrusted },
        (trx, signedIn) => toIdpDone(deps, trx, row, signedIn),
      );
      if (resolution.kind === 'merge_needed' && row.target.kind === 'oauth_authorize') {
        // A person in a browser can prove the existing account right away: the flow becomes a `link` flow.
        const owner = await usersRepo.findByEmail(deps.db, tenantId, resolution.email);
        const linking =
          owner === undefined
            ? undefined
            : await beginLink(deps, { tenant, row, profile, owner, mailAvailable: parts.mailer.available });
        if (linking !== undefined) return { kind: 'link_needed', state, flow: toLoginFlow(linking) };
      }
      if (resolution.kind === 'email_missing' && row.target.kind === 'oauth_authorize' && parts.mailer.available) {
        // A person in a browser can prove an address of their own: the flow waits for it (see `address.ts`).
        const asking = await beginAddressStep(deps, row, profile);
        if (asking !== undefined) return { kind: 'email_needed', state, flow: toLoginFlow(asking) };
      }
      if (!isSignedIn(resolution)) return fail(refusal(resolution, connector.displayName));
      if (moved === undefined) throw flowInvalid();
      return { kind: 'signed_in', state, flow: toLoginFlow(moved), user: resolution.user, resolution: resolution.kind };
    } catch (error) {
      if (error instanceof GatehouseError) return fail(error);
      await fail(new GatehouseError('server_error'));
      throw error;
    }
  };

/** The request the callback answers, as it was sent: the connector checks state, PKCE and nonce against it. */
const upstreamRequest = (deps: CoreDeps, row: LoginFlowRow, state: string) => ({
  redirectUri: row.redirect_uri ?? '',
  state,
  nonce: row.nonce_enc === null ? '' : deps.secretBox.open(row.nonce_enc),
  codeVerifier: row.code_verifier_enc === null ? '' : deps.secretBox.open(row.code_verifier_enc),
});

export type CompleteUpstreamLogin = ReturnType<typeof createCompleteUpstreamLogin>;
