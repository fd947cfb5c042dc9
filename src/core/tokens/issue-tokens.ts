import { randomToken, sha256 } from '../../lib/crypto.js';
import { newOpaqueId } from '../../lib/ids.js';
import { startTokenFamily } from '../../store/combined/family-starts.js';
import type { DbExecutor } from '../../store/database.js';
import { type NewRefreshToken, refreshTokensRepo } from '../../store/repositories/refresh-tokens.js';
import { tokenFamiliesRepo } from '../../store/repositories/token-families.js';
import { usersRepo } from '../../store/repositories/users.js';
import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { requireSecondFactorSatisfied } from '../flows/assurance.js';
import type { User } from '../users/user.js';
import { toUser } from '../users/users.js';
import { familyExpiry, type TokenLifetimes } from './lifetimes.js';
import { accessExpiry, epoch, type TokenSigner } from './sign-tokens.js';
import type { IssuedTokens, IssueTokensInput } from './token-issuance.js';
import { issued } from './tokens-issued.js';

/*
 * Issuing: what tokens a grant gets (access token always; ID token for a user with `openid`; refresh token for a user
 * whose client may refresh) and the one write that stores them. Signing is `sign-tokens.ts`, the audit event
 * `tokens-issued.ts`, a token-in sign-in's issuance planned before the user is known `issue-on-sign-in.ts`.
 */

/**
 * A new refresh token (opaque, only its digest stored) issued at `now` with the access token `jti`: the token and the
 * row that stores it. The row's `access_expires_at` is the `exp` the signer puts in that access token.
 */
export const newRefreshToken = (
  now: Date,
  jti: string,
  lifetimes: TokenLifetimes,
): { readonly token: string; readonly row: NewRefreshToken } => {
  const token = randomToken(32);
  return {
    token,
    row: {
      token_digest: sha256(token),
      access_jti: jti,
      access_expires_at: accessExpiry(now, lifetimes),
      expires_at: new Date(now.getTime() + lifetimes.refreshToken * 1000),
    },
  };
};

const loadUser = async (db: DbExecutor, tenantId: string, userId: string): Promise<User> => {
  const row = await usersRepo.find(db, tenantId, userId);
  if (row === undefined) throw new GatehouseError('invalid_grant', 'the user no longer exists');
  return toUser(row);
};

/**
 * Tokens for a user only when the sign-in they stand for meets the tenant's second-factor policy
 * (`requireSecondFactorSatisfied`); a refusal is audited (`login.failed`, `mfa_required`).
 * @throws GatehouseError `mfa_required`
 */
export const requirePolicyMet = (
  audit: AuditLog,
  input: Pick<IssueTokensInput, 'tenant' | 'client' | 'amr' | 'grantType' | 'ip'>,
  userId: string | undefined,
): void => {
  try {
    requireSecondFactorSatisfied(input.tenant, input.amr ?? []);
  } catch (error) {
    audit.record({
      type: 'login.failed',
      outcome: 'failure',
      tenantId: input.tenant.id,
      clientId: input.client.clientId,
      ...(userId === undefined ? {} : { userId }),
      ...(input.ip === undefined ? {} : { ip: input.ip }),
      details: {
        code: 'mfa_required',
        amr: input.amr ?? [],
        ...(input.grantType === undefined ? {} : { grantType: input.grantType }),
      },
    });
    throw error;
  }
};

/** Whether an issuance to a user comes with a refresh token: as asked, else when the client may refresh. */
export const refreshWanted = (input: Pick<IssueTokensInput, 'client' | 'refreshToken'>): boolean =>
  input.refreshToken ?? input.client.grantTypes.includes('refresh_token');

/**
 * Creates `issueTokens`: an access token (always), an ID token (a user and `openid`), and a refresh token (a user and
 * a client allowed to refresh), all for one tenant and signed with its active key. One database write at most (the
 * refresh token, with its family when new); the audit event is batched.
 */
export const createIssueTokens = (deps: CoreDeps, sign: TokenSigner, audit: AuditLog) => {
  /**
   * @param db a transaction to write in (a surface that commits the issuance with other work), else the database.
   * @throws GatehouseError `invalid_grant` (the user is gone, or the family was revoked meanwhile),
   *   `user_disabled`, `mfa_required` (a user's sign-in does not meet the tenant's second-factor policy: nothing is
   *   written); TypeError when `extraClaims` tries to set a reserved claim.
   */
  return async (input: IssueTokensInput, db: DbExecutor = deps.db): Promise<IssuedTokens> => {
    const { tenant, client, userId } = input;
    if (userId !== undefined) requirePolicyMet(audit, input, userId);
    const user = userId === undefined ? undefined : (input.user ?? (await loadUser(db, tenant.id, userId)));
    if (user !== undefined && user.status !== 'active')
      throw new GatehouseError('user_disabled', 'the user account is disabled');

    const now = deps.clock.now();
    const jti = newOpaqueId();
    const signed = await sign({ input, user, jti, now }, db);

    const wantsRefresh = user !== undefined && refreshWanted(input);
    let refreshToken: string | undefined;
    let familyId = input.familyId;
    if (wantsRefresh) {
      const next = newRefreshToken(now, jti, signed.lifetimes);
      refreshToken = next.token;
      const { row } = next;
      if (familyId === undefined) {
        familyId = newOpaqueId();
        await startTokenFamily(
          db,
          {
            id: familyId,
            tenant_id: tenant.id,
            client_id: client.clientId,
            user_id: user.id,
            scope: signed.scope,
            auth_time: new Date((signed.authTime ?? epoch(now)) * 1000),
            amr: signed.amr ?? [],
            sid: input.sid ?? null,
            identity_id: input.identityId ?? null,
            expires_at: familyExpiry(now, signed.lifetimes),
          },
          row,
          now,
        );
      } else if (!(await refreshTokensRepo.insert(db, familyId, row, now))) {
        throw new GatehouseError('invalid_grant', 'the grant has been revoked');
      }
    } else if (
      familyId !== undefined &&
      !(await tokenFamiliesRepo.recordAccessToken(db, familyId, jti, signed.accessExpiresAt))
    ) {
      throw new GatehouseError('invalid_grant', 'the grant has been revoked');
    }

    return issued(audit, input, user, jti, signed, refreshToken, familyId);
  };
};

export type IssueTokens = ReturnType<typeof createIssueTokens>;

export type { IssuedTokens, IssueTokensInput, SignInIssuanceInput } from './token-issuance.js';
