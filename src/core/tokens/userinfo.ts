import { usersRepo } from '../../store/repositories/users.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { toUser } from '../users/users.js';
import { userClaims } from './claims.js';
import type { TokenVerifier } from './verify-access-token.js';

/** OIDC Core §5.3: the claims of the user an access token acts for, filtered by its scopes. */
export const createUserInfo =
  (deps: CoreDeps, verifier: TokenVerifier) =>
  /**
   * @returns `sub` and the claims the token's scopes release (OIDC claim names).
   * @throws GatehouseError `invalid_token` (invalid, revoked, another tenant's, not a user's, user gone or disabled),
   *   `insufficient_scope` (no `openid`).
   */
  async (tenantId: string, accessToken: string): Promise<Record<string, unknown>> => {
    const token = await verifier.verifyAccessToken(tenantId, accessToken);
    if (token.userId === undefined) throw new GatehouseError('invalid_token', 'the access token is not for a user');
    if (!token.scope.includes('openid'))
      throw new GatehouseError('insufficient_scope', 'the access token lacks the openid scope');
    const row = await usersRepo.find(deps.db, tenantId, token.userId);
    if (row === undefined || row.status !== 'active')
      throw new GatehouseError('invalid_token', 'the user is no longer active');
    return { ...userClaims(toUser(row), token.scope), sub: row.id };
  };
