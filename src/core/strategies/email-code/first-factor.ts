import { revokeTokenFamiliesOfUser } from '../../../store/combined/revoke-token-families.js';
import { selfServiceFlowsRepo } from '../../../store/repositories/self-service-flows.js';
import { sessionsRepo } from '../../../store/repositories/sessions.js';
import { usersRepo } from '../../../store/repositories/users.js';
import type { AuditLog } from '../../audit/events.js';
import type { CoreDeps } from '../../deps.js';
import { GatehouseError } from '../../errors.js';
import { signupAllows } from '../../flows/kinds/registration.js';
import type { RateLimit } from '../../rate-limit/rate-limit.js';
import { spendAnswerLimits, spendMailLimits } from '../../rate-limit/self-service.js';
import type { Tenant } from '../../tenants/tenant.js';
import type { User } from '../../users/user.js';
import { toUser, type UserUseCases } from '../../users/users.js';
import type { MailQueue } from './mail-queue.js';
import type { MailedCodes } from './mailed-code.js';
import { codeSignInMail } from './self-service-mails.js';
import { codeInvalid, requireAddress } from './verification.js';

/** Whether the tenant lets people sign in with a mailed code (`policies.emailCodeSignIn`). */
export const codeSignInEnabled = (tenant: Tenant): boolean => tenant.policies.emailCodeSignIn === true;

/** A code sign-in that succeeded: who, and how (RFC 8176 `otp`: a one-time code). */
export interface CodeSignIn {
  readonly user: User;
  /** Whether answering the code created the account. */
  readonly created: boolean;
  readonly amr: readonly string[];
  readonly authTime: Date;
}

/**
 * `email_code` as a first factor (passwordless): a six-digit code mailed to the address signs its account in, or, when
 * the tenant's `signup` policy is not `off` and no account has the address, creates one (verified: the code proved
 * the address). The start answers the same, in the same statements, whichever the case.
 *
 * Answering a code for an account whose address was never verified proves the mailbox owner is here, and whoever
 * created that account may not be: its password, sessions and refresh-token families are removed (a pre-registered
 * account cannot be taken over later by its creator).
 */
export const createCodeSignIn = (
  deps: CoreDeps,
  parts: { users: UserUseCases; codes: MailedCodes; mail: MailQueue; rateLimit: RateLimit; audit: AuditLog },
) => {
  const requireEnabled = (tenant: Tenant) => {
    if (!codeSignInEnabled(tenant))
      throw new GatehouseError('access_denied', 'this tenant does not offer sign-in with a mailed code');
  };

  return {
    /**
     * @returns the normalised address.
     * @throws GatehouseError `access_denied` (not enabled), `invalid_request`, `rate_limited`
     */
    start: async (input: {
      tenant: Tenant;
      email: string;
      locale?: string | undefined;
      ip?: string | undefined;
    }): Promise<{ email: string }> => {
      const { tenant } = input;
      requireEnabled(tenant);
      const email = requireAddress(input.email);
      await spendMailLimits(parts.rateLimit, { tenantId: tenant.id, kind: 'code_sign_in', email, ip: input.ip });
      const user = await parts.users.findByEmail(tenant.id, email);
      const owner = user !== undefined && user.status === 'active' ? user : undefined;
      const issued = await parts.codes.issue({
        tenantId: tenant.id,
        kind: 'code_sign_in',
        email,
        userId: owner?.id ?? null,
      });
      const context = { to: email, tenantName: tenant.name, locale: input.locale };
      const forNewAccount = user === undefined && signupAllows(tenant, 'email_code');
      const message = codeSignInMail(context, issued.code, owner === undefined);
      parts.mail.queue(owner !== undefined || forNewAccount ? message : undefined);
      return { email };
    },

    /**
     * Answers the code: signs the account in, or creates it (see {@link createCodeSignIn}).
     * @throws GatehouseError `access_denied` (not enabled), `invalid_grant` (wrong, expired, used, dead after five
     *   wrong answers, or for another address), `user_disabled`, `invalid_request`, `rate_limited`
     */
    complete: async (input: {
      tenant: Tenant;
      email: string;
      code: string;
      ip?: string | undefined;
    }): Promise<CodeSignIn> => {
      const { tenant } = input;
      requireEnabled(tenant);
      const email = requireAddress(input.email);
      await spendAnswerLimits(parts.rateLimit, { tenantId: tenant.id, kind: 'code_sign_in', email, ip: input.ip });
      const answer = await parts.codes.answer({ tenantId: tenant.id, kind: 'code_sign_in', email, code: input.code });
      if (!answer.ok) throw codeInvalid();
      const { flow } = answer;
      const now = deps.clock.now();
      const outcome = await deps.db.transaction().execute(async (trx) => {
        if ((await selfServiceFlowsRepo.complete(trx, flow.id, now)) === undefined) throw codeInvalid();
        if (flow.user_id === null) {
          if (!signupAllows(tenant, 'email_code')) throw codeInvalid();
          const created = await parts.users.create(tenant.id, { email, emailVerified: true }, trx);
          return { user: created, created: true };
        }
        const row = await usersRepo.find(trx, tenant.id, flow.user_id);
        if (row === undefined || row.email !== email) throw codeInvalid();
        if (row.status !== 'active') throw new GatehouseError('user_disabled', 'the user account is disabled');
        if (row.email_verified) return { user: toUser(row), created: false };
        await revokeTokenFamiliesOfUser(trx, row.id, undefined, now);
        await sessionsRepo.deleteOfUser(trx, row.id);
        const proven = await usersRepo.update(trx, tenant.id, row.id, { email_verified: true, password_hash: null });
        return { user: toUser(proven ?? row), created: false };
      });
      parts.audit.record({
        type: outcome.created ? 'user.created' : 'login.succeeded',
        outcome: 'success',
        tenantId: tenant.id,
        userId: outcome.user.id,
        actor: `user:${outcome.user.id}`,
        ...(input.ip === undefined ? {} : { ip: input.ip }),
        details: { method: 'email_code' },
      });
      return { ...outcome, amr: ['otp'], authTime: now };
    },
  };
};

export type CodeSignInUseCases = ReturnType<typeof createCodeSignIn>;
