import type { CoreDeps } from '../deps.js';
import type { StepStrategies } from '../flows/engine.js';
import type { Mailer } from '../mail/mailer.js';
import { createEmailCodeStrategy, type EmailApprovalLink } from './email-code/answer.js';
import { createPasswordStrategy, type PasswordVerifier } from './password/answer.js';
import { createRecoveryCodeStrategy } from './recovery-code/answer.js';
import { createTotpStrategy } from './totp/answer.js';

/**
 * Every strategy a flow step can offer, one folder each, by its name. A new strategy (a passkey, say) is one folder
 * here with its answer half (and its begin or enrolment half where it has one) and one line in this list; the flow
 * kinds that accept it name it.
 */
export const createStepStrategies = (
  deps: CoreDeps,
  parts: {
    users: PasswordVerifier & Parameters<typeof createEmailCodeStrategy>[1];
    mailer: Mailer;
    emailApprovalLink: EmailApprovalLink;
  },
): StepStrategies => ({
  password: createPasswordStrategy(parts.users),
  email_code: createEmailCodeStrategy(deps, parts.users, parts.mailer, parts.emailApprovalLink),
  totp: createTotpStrategy(deps),
  recovery_code: createRecoveryCodeStrategy(deps),
});
