import { type Messages, type MessageVars, messagesIn } from '../../../lib/i18n.js';
import type { MailMessage } from '../../mail/mailer.js';
import { mailedCodeLifetimeMs } from './mailed-code.js';

/** What every self-service mail names: the address, the tenant it is about, and the language to write it in. */
export interface MailContext {
  readonly to: string;
  readonly tenantName: string;
  /** A locale of the catalogues (the page's); English when absent or unknown. */
  readonly locale?: string | undefined;
}

const minutes = mailedCodeLifetimeMs / 60_000;

const write = (
  context: MailContext,
  vars: MessageVars,
  texts: (t: Messages['t'], vars: MessageVars) => { subject: string; text: string },
): MailMessage => {
  const { t } = messagesIn(context.locale ?? 'en');
  return { to: context.to, ...texts(t, { tenant: context.tenantName, minutes, ...vars }) };
};

/** The code and link that confirm an address after a password sign-up (or a re-send). */
export const verificationMail = (context: MailContext, code: string, link: string): MailMessage =>
  write(context, { code, link }, (t, vars) => ({
    subject: t('mail.verify_subject', vars),
    text: t('mail.verify_body', vars),
  }));

/** To the owner of an address someone tried to sign up with: nothing changed, and how to get in if it was them. */
export const signupTakenMail = (context: MailContext): MailMessage =>
  write(context, {}, (t, vars) => ({
    subject: t('mail.signup_taken_subject', vars),
    text: t('mail.signup_taken_body', vars),
  }));

/** The code and link that set a new password. */
export const recoveryMail = (context: MailContext, code: string, link: string): MailMessage =>
  write(context, { code, link }, (t, vars) => ({
    subject: t('mail.recovery_subject', vars),
    text: t('mail.recovery_body', vars),
  }));

/** A sign-in code; `forNewAccount`: no account has the address yet, and answering the code creates it. */
export const codeSignInMail = (context: MailContext, code: string, forNewAccount: boolean): MailMessage =>
  write(context, { code }, (t, vars) =>
    forNewAccount
      ? { subject: t('mail.code_signup_subject', vars), text: t('mail.code_signup_body', vars) }
      : { subject: t('mail.code_sign_in_subject', vars), text: t('mail.code_sign_in_body', vars) },
  );
