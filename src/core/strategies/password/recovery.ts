import { hashPassword } from '../../../lib/crypto.js';
import type { SelfServiceFlowRow } from '../../../store/schema.js';
import type { AuditLog } from '../../audit/events.js';
import type { CoreDeps } from '../../deps.js';
import { completeRecovery } from '../../flows/kinds/recovery.js';
import type { RateLimit } from '../../rate-limit/rate-limit.js';
import { spendAnswerLimits, spendMailLimits } from '../../rate-limit/self-service.js';
import type { Tenant } from '../../tenants/tenant.js';
import type { UserUseCases } from '../../users/users.js';
import type { MailQueue } from '../email-code/mail-queue.js';
import type { MailedCodes } from '../email-code/mailed-code.js';
import { recoveryMail } from '../email-code/self-service-mails.js';
import { codeInvalid, requireAddress } from '../email-code/verification.js';
import { requireAcceptablePassword } from './rules.js';

/** How a recovery is answered: the code typed with the address, or the mailed link's token. */
export type RecoveryProof = { readonly email: string; readonly code: string } | { readonly token: string };

/**
 * The `recovery` flow ("forgot password"): a code and link mailed to the account's address, then a new password. The
 * start answers the same, in the same statements, whether or not the address has an account (a record is written
 * either way; mail goes out only to an account, after the answer). Completing it is `flows/kinds/recovery.ts`: the new
 * password, and every session and refresh-token family of the account ended, audited.
 */
export const createRecovery = (
  deps: CoreDeps,
  parts: {
    users: UserUseCases;
    codes: MailedCodes;
    mail: MailQueue;
    link: (tenantId: string, token: string) => string;
    rateLimit: RateLimit;
    audit: AuditLog;
  },
) => ({
  /**
   * @returns the normalised address.
   * @throws GatehouseError `invalid_request`, `rate_limited`
   */
  start: async (input: {
    tenant: Tenant;
    email: string;
    locale?: string | undefined;
    ip?: string | undefined;
  }): Promise<{ email: string }> => {
    const { tenant } = input;
    const email = requireAddress(input.email);
    await spendMailLimits(parts.rateLimit, { tenantId: tenant.id, kind: 'recovery', email, ip: input.ip });
    const user = await parts.users.findByEmail(tenant.id, email);
    const owner = user !== undefined && user.status === 'active' ? user : undefined;
    const issued = await parts.codes.issue({ tenantId: tenant.id, kind: 'recovery', email, userId: owner?.id ?? null });
    // The message is written either way; only an account's address is sent one.
    const message = recoveryMail(
      { to: email, tenantName: tenant.name, locale: input.locale },
      issued.code,
      parts.link(tenant.id, issued.token),
    );
    parts.mail.queue(owner === undefined ? undefined : message);
    return { email };
  },

  /**
   * Sets the new password. The password rules are checked first (a refused password spends no attempt).
   * @returns the account's id.
   * @throws GatehouseError `invalid_request` (password rules), `invalid_grant` (wrong, expired or used code or link, or
   *   an address without an account: the same refusal), `rate_limited`
   */
  complete: async (input: {
    tenant: Tenant;
    proof: RecoveryProof;
    password: string;
    ip?: string | undefined;
  }): Promise<{ userId: string }> => {
    const { tenant, proof } = input;
    requireAcceptablePassword(input.password);
    let flow: SelfServiceFlowRow | undefined;
    if ('token' in proof) {
      flow = await parts.codes.byLink(tenant.id, 'recovery', proof.token);
    } else {
      const email = requireAddress(proof.email);
      await spendAnswerLimits(parts.rateLimit, { tenantId: tenant.id, kind: 'recovery', email, ip: input.ip });
      const answer = await parts.codes.answer({ tenantId: tenant.id, kind: 'recovery', email, code: proof.code });
      flow = answer.ok ? answer.flow : undefined;
    }
    if (flow?.user_id == null) throw codeInvalid();
    const answered = flow;
    const passwordHash = await hashPassword(input.password);
    const done = await deps.db
      .transaction()
      .execute((trx) => completeRecovery(trx, answered, passwordHash, deps.clock.now()));
    if (done === undefined) throw codeInvalid();
    parts.audit.record({
      type: 'user.password_reset',
      outcome: 'success',
      tenantId: tenant.id,
      userId: done.userId,
      actor: `user:${done.userId}`,
      ...(input.ip === undefined ? {} : { ip: input.ip }),
      details: {
        method: 'token' in proof ? 'email_link' : 'email_code',
        sessionsEnded: done.sessionsEnded,
        familiesRevoked: done.familiesRevoked,
      },
    });
    return { userId: done.userId };
  },
});

export type Recovery = ReturnType<typeof createRecovery>;
