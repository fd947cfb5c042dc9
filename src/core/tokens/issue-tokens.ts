import { randomToken, sha256 } from '../../lib/crypto.js';
import { newOpaqueId } from '../../lib/ids.js';
import type { DbExecutor } from '../../store/database.js';
import {
  type FamilyStart,
  type NewRefreshToken,
  refreshTokensRepo,
  tokenFamiliesRepo,
} from '../../store/repositories/tokens.js';
import { usersRepo } from '../../store/repositories/users.js';
import type { SignedInResolution } from '../accounts/outcomes.js';
import type { PlannedWork } from '../accounts/resolve-account.js';
import type { AuditLog } from '../audit/events.js';
import { type Client, idTokenAlgorithmOf } from '../clients/client.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import type { SigningKeyUseCases } from '../keys/signing-keys.js';
import { requireSecondFactorSatisfied } from '../mfa/mfa-policy.js';
import type { Tenant } from '../tenants/tenant.js';
import type { User } from '../users/user.js';
import { toUser } from '../users/users.js';
import { atHash, reservedClaims, userClaims } from './claims.js';
import { issuerOf } from './issuer.js';
import { familyExpiry, type TokenLifetimes, tokenLifetimes } from './lifetimes.js';

/** What to issue tokens for. Every surface (OAuth grants, STS, Flex, token exchange) ends in this. */
export interface IssueTokensInput {
  readonly tenant: Tenant;
  readonly client: Client;
  /** The signed-in user; undefined when the client acts for itself (client_credentials: `sub` is the client id). */
  readonly userId: string | undefined;
  /** The user, when the caller already loaded it (saves a read). Must be `userId`'s. */
  readonly user?: User;
  /** Granted scopes, already checked against the client. `openid` adds an ID token (users only). */
  readonly scope: readonly string[];
  /** How the user authenticated (RFC 8176: `pwd`, `external`, `mfa`, …). */
  readonly amr?: readonly string[];
  /** When the user authenticated; defaults to now. */
  readonly authTime?: Date;
  /** The authorization request's `nonce`, echoed in the ID token. */
  readonly nonce?: string;
  /** The browser session (ID token `sid`). */
  readonly sid?: string;
  /** Claims a surface adds to the access token (`newuser`, …). Reserved claims (iss, sub, scope, …) are refused. */
  readonly extraClaims?: Readonly<Record<string, unknown>>;
  /** The family this issuance continues (a redeemed code, a rotated refresh token); a new one starts otherwise. */
  readonly familyId?: string;
  /** The upstream identity the user signed in through: a new family records it, and ends when it is unlinked. */
  readonly identityId?: string;
  /**
   * Issue a refresh token. Default: when there is a user and the client may use the `refresh_token` grant.
   * Never for client_credentials.
   */
  readonly refreshToken?: boolean;
  /** Audit: the grant that led here (`authorization_code`, `password`, `Facebook`, …) and the caller's address. */
  readonly grantType?: string;
  readonly ip?: string;
}

/** Issued tokens, in core terms; each surface renders them in its own wire format. */
export interface IssuedTokens {
  /** RFC 9068 JWT access token (`typ: at+jwt`). */
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  readonly expiresIn: number;
  /** Granted scopes, space-separated. */
  readonly scope: string;
  readonly idToken?: string;
  /** Opaque; only its SHA-256 digest is stored. */
  readonly refreshToken?: string;
  /** The access token's `jti`. */
  readonly jti: string;
  /** The family the refresh token belongs to, when one was issued or continued. */
  readonly familyId?: string;
}

const epoch = (date: Date): number => Math.floor(date.getTime() / 1000);

/** When an access token issued at `now` expires: its `exp`, which is in whole seconds. */
export const accessExpiry = (now: Date, lifetimes: TokenLifetimes): Date =>
  new Date((epoch(now) + lifetimes.accessToken) * 1000);

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

/** What a `TokenSigner` needs: the issuance, its user (loaded and active), its `jti` and its moment. */
export interface TokensToSign {
  readonly input: IssueTokensInput;
  readonly user: User | undefined;
  readonly jti: string;
  readonly now: Date;
}

/** Signed tokens, not yet stored or audited. */
export interface SignedTokens {
  readonly accessToken: string;
  readonly idToken: string | undefined;
  readonly scope: string;
  readonly lifetimes: TokenLifetimes;
  /** When the access token expires (its `exp`). */
  readonly accessExpiresAt: Date;
  readonly authTime: number | undefined;
  readonly amr: string[] | undefined;
}

/**
 * Signs the access token (RFC 9068) and, for a user with `openid`, the ID token (OIDC Core §2). Stores nothing: the
 * callers write what the issuance needs (a refresh token, a family) before or after, in as few statements as they can.
 * `db` is the transaction the issuance belongs to, if any: keys this instance has not loaded yet are read through it.
 * @throws TypeError when `extraClaims` tries to set a reserved claim.
 */
export const createTokenSigner =
  (deps: CoreDeps, keys: SigningKeyUseCases) =>
  async ({ input, user, jti, now }: TokensToSign, db: DbExecutor = deps.db): Promise<SignedTokens> => {
    const { tenant, client } = input;
    for (const name of Object.keys(input.extraClaims ?? {})) {
      if (reservedClaims.has(name)) throw new TypeError(`extraClaims may not set the reserved claim ${name}`);
    }
    const iat = epoch(now);
    const lifetimes = tokenLifetimes(tenant, client);
    const iss = issuerOf(deps.settings, tenant.id);
    const scope = input.scope.join(' ');
    const authTime = user === undefined ? undefined : epoch(input.authTime ?? now);
    const amr = input.amr !== undefined && input.amr.length > 0 ? [...input.amr] : undefined;

    // RFC 9068 §2.2. The audience is the tenant's issuer: its own APIs (userinfo, introspection) are the resource.
    const accessToken = await keys.signJwt(
      tenant.id,
      {
        ...input.extraClaims,
        iss,
        sub: user?.id ?? client.clientId,
        aud: iss,
        client_id: client.clientId,
        scope,
        jti,
        iat,
        exp: iat + lifetimes.accessToken,
        ...(authTime === undefined ? {} : { auth_time: authTime }),
        ...(amr === undefined ? {} : { amr }),
      },
      'at+jwt',
      db,
    );

    // OIDC Core §2 and §3.1.3.6.
    const idToken =
      user !== undefined && input.scope.includes('openid')
        ? await keys.signJwt(
            tenant.id,
            {
              ...userClaims(user, input.scope),
              iss,
              sub: user.id,
              aud: client.clientId,
              iat,
              exp: iat + lifetimes.idToken,
              auth_time: authTime,
              ...(input.nonce === undefined ? {} : { nonce: input.nonce }),
              at_hash: atHash(accessToken),
              ...(input.sid === undefined ? {} : { sid: input.sid }),
              ...(amr === undefined ? {} : { amr }),
            },
            'JWT',
            db,
            idTokenAlgorithmOf(client),
          )
        : undefined;
    return {
      accessToken,
      idToken,
      scope,
      lifetimes,
      accessExpiresAt: accessExpiry(now, lifetimes),
      authTime,
      amr,
    };
  };

export type TokenSigner = ReturnType<typeof createTokenSigner>;

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
const refreshWanted = (input: Pick<IssueTokensInput, 'client' | 'refreshToken'>): boolean =>
  input.refreshToken ?? input.client.grantTypes.includes('refresh_token');

/** Records `tokens.issued` (batched) and renders the issuance in core terms. */
export const issued = (
  audit: AuditLog,
  input: IssueTokensInput,
  user: User | undefined,
  jti: string,
  signed: SignedTokens,
  refreshToken: string | undefined,
  familyId: string | undefined,
): IssuedTokens => {
  const { tenant, client } = input;
  audit.record({
    type: 'tokens.issued',
    outcome: 'success',
    tenantId: tenant.id,
    actor: user === undefined ? `client:${client.clientId}` : `user:${user.id}`,
    clientId: client.clientId,
    ...(user === undefined ? {} : { userId: user.id }),
    ...(input.ip === undefined ? {} : { ip: input.ip }),
    details: {
      jti,
      scope: signed.scope,
      idToken: signed.idToken !== undefined,
      refreshToken: refreshToken !== undefined,
      ...(input.grantType === undefined ? {} : { grantType: input.grantType }),
      ...(familyId === undefined ? {} : { familyId }),
    },
  });
  return {
    accessToken: signed.accessToken,
    tokenType: 'Bearer',
    expiresIn: signed.lifetimes.accessToken,
    scope: signed.scope,
    jti,
    ...(signed.idToken === undefined ? {} : { idToken: signed.idToken }),
    ...(refreshToken === undefined ? {} : { refreshToken }),
    ...(familyId === undefined ? {} : { familyId }),
  };
};

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
        await tokenFamiliesRepo.insertWithRefreshToken(
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

/** What a sign-in issues: everything but the user, who is known once the account is resolved. */
export type SignInIssuanceInput = Omit<IssueTokensInput, 'userId' | 'user' | 'familyId'>;

/**
 * Creates `issueOnSignIn`: the work of a token-in sign-in (RFC 8693, STS, Flex) that issues tokens to the user the
 * account resolution finds. As a {@link PlannedWork}, a returning user's refresh-token family (its id, token digest and
 * access `jti`) is chosen before the user is known and written by the statement that finds the user; the tokens are
 * signed after. Any other resolution issues them as `issueTokens` does, in the resolution's transaction.
 */
export const createIssueOnSignIn =
  (deps: CoreDeps, sign: TokenSigner, audit: AuditLog, issueTokens: IssueTokens) =>
  (base: SignInIssuanceInput): PlannedWork<IssuedTokens> => {
    const forUser = ({ user, identity }: SignedInResolution): IssueTokensInput => ({
      ...base,
      userId: user.id,
      user,
      identityId: identity.id,
    });
    return {
      run: (db, resolution) => issueTokens(forUser(resolution), db),
      plan: () => {
        // Before the statement that finds the user writes the family: a refusal leaves nothing behind.
        requirePolicyMet(audit, base, undefined);
        if (!refreshWanted(base)) return { start: undefined, finish: (resolution) => issueTokens(forUser(resolution)) };
        const { tenant, client } = base;
        const now = deps.clock.now();
        const jti = newOpaqueId();
        const familyId = newOpaqueId();
        const lifetimes = tokenLifetimes(tenant, client);
        const next = newRefreshToken(now, jti, lifetimes);
        // The family row issueTokens would write for this input: the signer derives the same scope, auth_time and amr.
        const start: FamilyStart = {
          family: {
            id: familyId,
            client_id: client.clientId,
            scope: base.scope.join(' '),
            auth_time: new Date(epoch(base.authTime ?? now) * 1000),
            amr: base.amr ?? [],
            sid: base.sid ?? null,
            expires_at: familyExpiry(now, lifetimes),
          },
          token: next.row,
          now,
        };
        return {
          start,
          finish: async (resolution) => {
            const input = forUser(resolution);
            const signed = await sign({ input, user: resolution.user, jti, now });
            return issued(audit, input, resolution.user, jti, signed, next.token, familyId);
          },
        };
      },
    };
  };
