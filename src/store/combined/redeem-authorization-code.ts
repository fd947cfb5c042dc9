import { sql } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { AuthorizationCodeRow } from '../schema.js';

export interface CodeRedemption {
  readonly codeDigest: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly redirectUri: string;
  /** S256 of the presented verifier, or null when none was presented. */
  readonly challenge: string | null;
  readonly familyId: string;
  /** The absolute end of the family the redemption starts. */
  readonly familyExpiresAt: Date;
  readonly now: Date;
}

/**
 * Consumes a code and starts its token family in one statement (`authorization_codes` and `token_families`), only if
 * every binding holds (tenant, client, redirect URI, PKCE, expiry, unused). Two concurrent redemptions: the row lock
 * lets exactly one win.
 * @returns the code row, or undefined when nothing matched (see `authorizationCodesRepo.find` for why).
 */
export const redeemAuthorizationCode = async (
  db: DbExecutor,
  r: CodeRedemption,
): Promise<AuthorizationCodeRow | undefined> => {
  const result = await sql<AuthorizationCodeRow>`
    with c as (
      update authorization_codes set consumed_at = ${r.now}, family_id = ${r.familyId}
      where code_digest = ${r.codeDigest} and tenant_id = ${r.tenantId} and client_id = ${r.clientId}
        and consumed_at is null and expires_at > ${r.now} and redirect_uri = ${r.redirectUri}
        and code_challenge is not distinct from ${r.challenge}
      returning *
    ), f as (
      insert into token_families (id, tenant_id, client_id, user_id, scope, auth_time, amr, sid, identity_id,
                                  created_at, expires_at)
      select family_id, tenant_id, client_id, user_id, scope, auth_time, amr, sid, identity_id, ${r.now},
             ${r.familyExpiresAt}::timestamptz
      from c
    )
    select * from c`.execute(db);
  return result.rows[0];
};
