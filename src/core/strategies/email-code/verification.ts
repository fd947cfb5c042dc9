import type { AuditLog } from '../../audit/events.js';
import type { CoreDeps } from '../../deps.js';
import { GatehouseError } from '../../errors.js';
import { completeVerification } from '../../flows/kinds/verification.js';
import type { RateLimit } from '../../rate-limit/rate-limit.js';
import { spendAnswerLimits, spendMailLimits } from '../../rate-limit/self-service.js';
import type { Tenant } from '../../tenants/tenant.js';
import { isEmailShaped, normaliseEmail } from '../../users/email.js';
import type { User } from '../../users/user.js';
import type { UserUseCases } from '../../users/users.js';
import type { MailQueue } from './mail-queue.js';
import type { MailedCodes } from './mailed-code.js';
import { verificationMail } from './self-service-mails.js';

/** The one refusal of a code or link, whatever the reason: wrong, expired, used, superseded, another address's. */
export const codeInvalid = () =>
  new GatehouseError('invalid_grant', 'the code or link is wrong, expired or already used');

/** The normalised address, or `invalid_request`. */
export const requireAddress = (email: string): string => {
  const normalised = normaliseEmail(email);
  if (!isEmailShaped(normalised)) throw new GatehouseError('invalid_request', 'email: not an email address');
  return normalised;
};

/**
 * The `verification` flow's `email_code` halves: re-sending a code (the same answer whether or not the address has
 * an unverified account), and answering it by code or by link. Verifying an address only marks it verified on the
 * account it was mailed for (`flows/kinds/verification.ts`); it never links or merges accounts.
 */
export const createVerification = (
  deps: CoreDeps,
  parts: {
    users: UserUseCases;
    codes: MailedCodes;
    mail: MailQueue;
    link: (tenantId: string, token: string) => string;
    rateLimit: RateLimit;
    audit: AuditLog;
  },
) => {
  const complete = async (tenant: Tenant, flow: Parameters<typeof completeVerification>[1], ip?: string) => {
    const userId = await deps.db.transaction().execute((trx) => completeVerification(trx, flow, deps.clock.now()));
    if (userId === undefined) throw codeInvalid();
    parts.audit.record({
      type: 'user.email_verified',
      outcome: 'success',
      tenantId: tenant.id,
      userId,
      actor: `user:${userId}`,
      ...(ip === undefined ? {} : { ip }),
      details: { method: 'email_code' },
    });
    return parts.users.require(tenant.id, userId);
  };

  return {
    /**
     * Mails a new verification code and link to `email` when it is the address of an unverified account; otherwise
     * writes a record that can never be answered. The answer is the same either way.
     * @throws GatehouseError `invalid_request`, `rate_limited`
     */
    resend: async (input: {
      tenant: Tenant;
      email: string;
      locale?: string | undefined;
      ip?: string | undefined;
    }): Promise<{ email: string }> => {
      const { tenant } = input;
      const email = requireAddress(input.email);
      await spendMailLimits(parts.rateLimit, { tenantId: tenant.id, kind: 'verification', email, ip: input.ip });
      const user = await parts.users.findByEmail(tenant.id, email);
      const due = user !== undefined && !user.emailVerified && user.status === 'active';
      const issued = await parts.codes.issue({
        tenantId: tenant.id,
        kind: 'verification',
        email,
        userId: due ? user.id : null,
        dead: !due,
      });
      const message = verificationMail(
        { to: email, tenantName: tenant.name, locale: input.locale },
        issued.code,
        parts.link(tenant.id, issued.token),
      );
      parts.mail.queue(due ? message : undefined);
      return { email };
    },

    /**
     * Verifies `email` with the code mailed to it.
     * @returns the account whose address it is, now verified.
     * @throws GatehouseError `invalid_grant` (wrong, expired, used, or for another address), `invalid_request`,
     *   `rate_limited`
     */
    withCode: async (input: {
      tenant: Tenant;
      email: string;
      code: string;
      ip?: string | undefined;
    }): Promise<User> => {
      const { tenant } = input;
      const email = requireAddress(input.email);
      await spendAnswerLimits(parts.rateLimit, { tenantId: tenant.id, kind: 'verification', email, ip: input.ip });
      const answer = await parts.codes.answer({ tenantId: tenant.id, kind: 'verification', email, code: input.code });
      if (!answer.ok) throw codeInvalid();
      return complete(tenant, answer.flow, input.ip);
    },

    /**
     * Verifies the address a mailed link was sent to (the confirmation of the link's page, not its opening).
     * @throws GatehouseError `invalid_grant`
     */
    withLink: async (input: { tenant: Tenant; token: string; ip?: string | undefined }): Promise<User> => {
      const flow = await parts.codes.byLink(input.tenant.id, 'verification', input.token);
      if (flow === undefined) throw codeInvalid();
      return complete(input.tenant, flow, input.ip);
    },
  };
};

export type Verification = ReturnType<typeof createVerification>;
