import { messagesFor } from '../../lib/i18n.js';
import type { Logger } from '../../lib/logger.js';
import type { AuditLog } from '../audit/events.js';
import type { Mailer } from '../mail/mailer.js';
import { failedAttemptsMail } from '../mail/messages.js';
import type { User } from '../users/user.js';
import { accountPasswordPolicy } from './policies.js';

export interface FailureNoticeDeps {
  readonly findUser: (tenantId: string, email: string) => Promise<User | undefined>;
  readonly mailer: Mailer;
  readonly audit: AuditLog;
  readonly log: Logger;
  /** The tenant's default locale: the language of the notice (no request is waiting for it). */
  readonly tenantLocale: (tenantId: string) => Promise<string | undefined>;
}

const maxPending = 1000;

/**
 * Mails the owner of an account that sees a burst of wrong passwords. The caller does not wait: the answer to the
 * sign-in is the same, in content and timing, whether the account exists or not, and nothing is sent for an unknown
 * one. Notices go out one after another (a bounded queue), so a burst across many accounts cannot flood the mail
 * server or the process.
 */
export const createFailureNotice = (deps: FailureNoticeDeps) => {
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;

  const send = async (tenantId: string, email: string, failures: number, ip: string | undefined) => {
    const user = await deps.findUser(tenantId, email);
    if (user?.email == null || user.status !== 'active' || !deps.mailer.available) return;
    const messages = messagesFor({ tenantDefault: await deps.tenantLocale(tenantId) });
    await deps.mailer.send(
      failedAttemptsMail(messages, { to: user.email, failures, minutes: accountPasswordPolicy.windowSeconds / 60 }),
    );
    deps.audit.record({
      type: 'account.failures_notified',
      outcome: 'info',
      tenantId,
      userId: user.id,
      actor: 'system',
      ...(ip === undefined ? {} : { ip }),
      details: { failures },
    });
  };

  return {
    /** Queues the notice of `failures` wrong passwords for (tenant, email); returns at once. */
    notify: (tenantId: string, email: string, failures: number, ip: string | undefined): void => {
      if (pending >= maxPending) {
        deps.log.warn({ tenantId }, 'account.notice_dropped');
        return;
      }
      pending++;
      queue = queue
        .then(() => send(tenantId, email, failures, ip))
        .catch((error: unknown) => deps.log.warn({ err: error, tenantId }, 'account.notice_failed'))
        .finally(() => {
          pending--;
        });
    },
    /** Resolves when every queued notice is sent (shutdown). */
    idle: (): Promise<void> => queue,
  };
};

export type FailureNotice = ReturnType<typeof createFailureNotice>;
