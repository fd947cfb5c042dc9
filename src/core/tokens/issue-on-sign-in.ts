import { newOpaqueId } from '../../lib/ids.js';
import type { FamilyStart } from '../../store/combined/family-starts.js';
import type { SignedInResolution } from '../accounts/outcomes.js';
import type { PlannedWork } from '../accounts/within-resolution.js';
import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import { type IssueTokens, newRefreshToken, refreshWanted, requirePolicyMet } from './issue-tokens.js';
import { familyExpiry, tokenLifetimes } from './lifetimes.js';
import { epoch, type TokenSigner } from './sign-tokens.js';
import type { IssuedTokens, IssueTokensInput, SignInIssuanceInput } from './token-issuance.js';
import { issued } from './tokens-issued.js';

/**
 * Creates `issueOnSignIn`: the work of a token-in sign-in (RFC 8693 and the dialects' token grants) that issues tokens to the user the
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
