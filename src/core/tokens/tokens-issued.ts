import type { AuditLog } from '../audit/events.js';
import type { User } from '../users/user.js';
import type { SignedTokens } from './sign-tokens.js';
import type { IssuedTokens, IssueTokensInput } from './token-issuance.js';

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
