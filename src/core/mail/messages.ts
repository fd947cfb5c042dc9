import type { Messages } from '../../lib/i18n.js';
import type { MailMessage } from './mailer.js';

/**
 * The mails Gatehouse sends, written from the message catalogues (`mail.*` keys) in the language of the request that
 * caused them, else the tenant's default.
 */

/** The second-factor email: a six-digit code and a link that approves the sign-in; both work once. */
export const signInCodeMail = (
  messages: Messages,
  mail: { readonly to: string; readonly code: string; readonly link: string; readonly minutes: number },
): MailMessage => {
  const { t } = messages;
  return {
    to: mail.to,
    subject: t('mail.sign_in_code.subject'),
    text: [
      t('mail.sign_in_code.intro'),
      '',
      t('mail.sign_in_code.code', { code: mail.code }),
      t('mail.sign_in_code.link', { link: mail.link }),
      '',
      t('mail.sign_in_code.expiry', { minutes: mail.minutes }),
    ].join('\n'),
  };
};

/** The notice of a burst of wrong passwords on an account. */
export const failedAttemptsMail = (
  messages: Messages,
  mail: { readonly to: string; readonly failures: number; readonly minutes: number },
): MailMessage => {
  const { t } = messages;
  return {
    to: mail.to,
    subject: t('mail.failed_attempts.subject'),
    text: [
      t('mail.failed_attempts.intro', { failures: mail.failures, minutes: mail.minutes }),
      '',
      t('mail.failed_attempts.advice'),
    ].join('\n'),
  };
};
