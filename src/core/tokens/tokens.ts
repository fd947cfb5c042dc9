import { authorizationCodesRepo } from '../../store/repositories/authorization-codes.js';
import { linkProofsRepo } from '../../store/repositories/link-proofs.js';
import { refreshTokensRepo } from '../../store/repositories/refresh-tokens.js';
import { revokedAccessTokensRepo } from '../../store/repositories/revoked-access-tokens.js';
import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import type { SigningKeyUseCases } from '../keys/signing-keys.js';
import { createAuthorizationCodes } from './authorization-codes.js';
import { createIntrospectToken } from './introspection.js';
import { createIssueOnSignIn } from './issue-on-sign-in.js';
import { createIssueTokens } from './issue-tokens.js';
import { issuerOf } from './issuer.js';
import { createRefreshTokens } from './refresh-tokens.js';
import { createRevokeToken } from './revocation.js';
import { parseScope, requireAllowedScopes, standardScopes } from './scopes.js';
import { createTokenSigner } from './sign-tokens.js';
import { createUserInfo } from './userinfo.js';
import { createTokenVerifier } from './verify-access-token.js';

/** Token issuance, rotation, verification, revocation and introspection, per tenant (`core.tokens`). */
export const createTokenUseCases = (deps: CoreDeps, audit: AuditLog, keys: SigningKeyUseCases) => {
  const verifier = createTokenVerifier(deps, keys);
  const sign = createTokenSigner(deps, keys);
  const refreshTokens = createRefreshTokens(deps, audit, sign);
  const issueTokens = createIssueTokens(deps, sign, audit);
  return {
    /** See `IssueTokensInput`. */
    issueTokens,
    /** The `within` of a token-in sign-in that issues tokens to the resolved user; see `createIssueOnSignIn`. */
    issueOnSignIn: createIssueOnSignIn(deps, sign, audit, issueTokens),
    authorizationCodes: createAuthorizationCodes(deps, audit),
    refreshTokens,
    verifyAccessToken: verifier.verifyAccessToken,
    verifyIdTokenHint: verifier.verifyIdTokenHint,
    revokeToken: createRevokeToken(deps, audit, verifier, refreshTokens),
    introspectToken: createIntrospectToken(deps, verifier),
    userInfo: createUserInfo(deps, verifier),
    /** Scope parsing (RFC 6749 §3.3) and the client's allowed scopes. */
    scopes: { parse: parseScope, requireAllowed: requireAllowedScopes, standard: standardScopes },
    /** `{publicUrl}/t/{tenant}`. */
    issuerOf: (tenantId: string): string => issuerOf(deps.settings, tenantId),
    /**
     * Deletes what can no longer be used (for a periodic job): expired codes, access-token revocations past `exp`,
     * expired refresh tokens, and spent link proofs past their token's `exp`.
     */
    purgeExpired: async (): Promise<void> => {
      const now = deps.clock.now();
      await authorizationCodesRepo.deleteExpired(deps.db, now);
      await revokedAccessTokensRepo.deleteExpired(deps.db, now);
      await refreshTokensRepo.deleteExpired(deps.db, now);
      await linkProofsRepo.deleteExpired(deps.db, now);
    },
  };
};

export type TokenUseCases = ReturnType<typeof createTokenUseCases>;
export type { IssuedTokens, IssueTokensInput } from './token-issuance.js';
export type { AccessTokenClaims } from './verify-access-token.js';
