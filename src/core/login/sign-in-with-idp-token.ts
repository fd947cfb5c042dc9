import type { ExternalProfile, PresentedToken } from '../../connectors/connector.js';
import type { AccountIntent, AccountResolution } from '../accounts/outcomes.js';
import type { AccountResolver, WithinResolution } from '../accounts/resolve-account.js';
import type { AuditLog } from '../audit/events.js';
import { GatehouseError } from '../errors.js';
import type { ConnectorCache } from '../strategies/upstream/connectors.js';
import type { Tenant } from '../tenants/tenant.js';

export interface SignInWithIdpTokenInput<T> {
  readonly tenant: Tenant;
  /** The connection id (`facebook`, `google`, `acme-okta`). */
  readonly connectionId: string;
  readonly token: PresentedToken;
  readonly intent: AccountIntent;
  /** Work to commit together with a signed-in outcome (token issuance). */
  readonly within?: WithinResolution<T>;
  /** For the audit trail. */
  readonly clientId?: string;
  readonly ip?: string;
}

export interface SignInWithIdpTokenResult<T> {
  readonly profile: ExternalProfile;
  readonly resolution: AccountResolution;
  readonly result: T | undefined;
}

/**
 * Token-in sign-in (Flex `auth_with_idp`/`create_with_idp`, STS `assertion`, RFC 8693 `subject_token`): the
 * connection's connector fully validates the token the client obtained, then the account is resolved.
 * @throws GatehouseError `not_found` (unknown connection: rendered by surfaces as their own "unknown IdP" error),
 *   `idp_token_invalid`, `idp_wrong_audience`, `unsupported_token_type`, `idp_unavailable` (UpstreamError), and
 *   what `accounts.resolve` throws.
 */
export const createSignInWithIdpToken =
  (connectors: ConnectorCache, accounts: AccountResolver, audit: AuditLog) =>
  async <T>(input: SignInWithIdpTokenInput<T>): Promise<SignInWithIdpTokenResult<T>> => {
    const connector = await connectors.get(input.tenant.id, input.connectionId);
    let profile: ExternalProfile;
    try {
      profile = await connector.verifyToken(input.token);
    } catch (error) {
      if (error instanceof GatehouseError) {
        audit.record({
          type: 'login.failed',
          outcome: 'failure',
          tenantId: input.tenant.id,
          idp: input.connectionId,
          ...(input.clientId === undefined ? {} : { clientId: input.clientId }),
          ...(input.ip === undefined ? {} : { ip: input.ip }),
          details: { code: error.code },
        });
      }
      throw error;
    }
    const connectionTrusted = await connectors.trusted(input.tenant.id, input.connectionId);
    const { resolution, result } = await accounts.resolve(
      { tenant: input.tenant, profile, intent: input.intent, connectionTrusted },
      input.within,
    );
    return { profile, resolution, result };
  };

export type SignInWithIdpToken = ReturnType<typeof createSignInWithIdpToken>;
