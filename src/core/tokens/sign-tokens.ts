import type { DbExecutor } from '../../store/database.js';
import { idTokenAlgorithmOf } from '../clients/client.js';
import type { CoreDeps } from '../deps.js';
import type { SigningKeyUseCases } from '../keys/signing-keys.js';
import type { User } from '../users/user.js';
import { atHash, reservedClaims, userClaims } from './claims.js';
import { issuerOf } from './issuer.js';
import { type TokenLifetimes, tokenLifetimes } from './lifetimes.js';
import type { IssueTokensInput } from './token-issuance.js';

/*
 * Signing: the JWTs of an issuance (access token, ID token), signed with the tenant's active key. Stores and audits
 * nothing; `issue-tokens.ts` decides what to issue and writes it, `tokens-issued.ts` records it.
 */

/** Seconds since the epoch, as JWT times are. */
export const epoch = (date: Date): number => Math.floor(date.getTime() / 1000);

/** When an access token issued at `now` expires: its `exp`, which is in whole seconds. */
export const accessExpiry = (now: Date, lifetimes: TokenLifetimes): Date =>
  new Date((epoch(now) + lifetimes.accessToken) * 1000);

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
