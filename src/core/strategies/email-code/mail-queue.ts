import type { Logger } from '../../../lib/logger.js';
import type { Mailer, MailMessage } from '../../mail/mailer.js';

/**
 * Self-service mail, sent after the answer: a request never waits for SMTP, so how long the answer takes says nothing
 * about whether a message went out (no account enumeration by timing). A message that cannot be sent is logged
 * (without its body: it holds a code).
 */
export const createMailQueue = (mailer: Mailer, log: Logger) => {
  const pending = new Set<Promise<void>>();
  return {
    /**
     * Sends `message` in the background, starting only after the current request has answered (`setImmediate`), so
     * not even composing the message happens on the answer's path. With no message (an address that gets none), the
     * same deferral is taken and nothing is sent.
     */
    queue: (message: MailMessage | undefined): void => {
      const sending = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => (message === undefined ? undefined : mailer.send(message)))
        .catch((error: unknown) => log.error({ err: error }, 'a self-service mail could not be sent'))
        .finally(() => pending.delete(sending));
      pending.add(sending);
    },
    /** Resolves once every queued message was sent or failed (shutdown). */
    idle: async (): Promise<void> => {
      await Promise.all([...pending]);
    },
  };
};

export type MailQueue = ReturnType<typeof createMailQueue>;
