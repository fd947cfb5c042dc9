import { randomInt } from 'node:crypto';
import { constantTimeEqual, randomToken, sha256 } from '../../../lib/crypto.js';
import { messagesFor } from '../../../lib/i18n.js';
import { newId } from '../../../lib/ids.js';
import { challengesRepo } from '../../../store/repositories/mfa-challenges.js';
import type { CoreDeps } from '../../deps.js';
import { GatehouseError } from '../../errors.js';
import { mfaRateLimits, spend } from '../../flows/limits.js';
import type { StepStrategy, StrategyContext } from '../../flows/strategy.js';
import type { Mailer } from '../../mail/mailer.js';
import { signInCodeMail } from '../../mail/messages.js';
import type { UserUseCases } from '../../users/users.js';

/** How long an emailed code and link work. */
export const emailChallengeLifetimeMs = 10 * 60 * 1000;

/**
 * Where an emailed link goes: the page that approves it, given by the surface that serves that page (the core knows
 * no URL of its own). The token must ride where request logs leave it out (a query string).
 */
export type EmailApprovalLink = (tenantId: string, token: string) => string;

const codeDigest = (challengeId: string, code: string): string => sha256(`${challengeId}:${code}`);

const domainOf = (email: string): string => email.slice(email.lastIndexOf('@') + 1);

/**
 * `email_code`: an out-of-band message with a six-digit code and a link, sent to the user's address. The code can be
 * typed (answer) or the link approved and the flow polled (poll); either spends the challenge. A new email supersedes
 * the previous one. Offered only when mail can be sent and the user has an address.
 */
export const createEmailCodeStrategy = (
  deps: CoreDeps,
  users: UserUseCases,
  mailer: Mailer,
  approvalLink: EmailApprovalLink,
): StepStrategy => {
  const latestLive = async ({ flow, choiceId }: StrategyContext) => {
    const challenge = await challengesRepo.latest(deps.db, flow.id, choiceId);
    const now = deps.clock.now();
    return challenge === undefined || challenge.consumed_at !== null || challenge.expires_at <= now
      ? undefined
      : challenge;
  };
  return {
    name: 'email_code',
    answerType: 'oob',
    amr: ['otp'],
    offerTo: (user) => (mailer.available && user.email !== null ? { partialAddress: domainOf(user.email) } : undefined),
    offerBlind: (username) =>
      mailer.available && username.includes('@') ? { partialAddress: domainOf(username) } : undefined,
    startOob: async (context) => {
      const { tenant, flow, choiceId, userId } = context;
      const user = userId === undefined ? undefined : await users.find(tenant.id, userId);
      if (user?.email == null) throw new GatehouseError('invalid_request', 'this account has no email address');
      await spend(deps.kv, 'email_flow', flow.id, mfaRateLimits.emailsPerFlow);
      await spend(deps.kv, 'email_user', user.id, mfaRateLimits.emailsPerUser);
      const now = deps.clock.now();
      const id = newId();
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const token = randomToken(32);
      await deps.db.transaction().execute(async (trx) => {
        await challengesRepo.supersede(trx, flow.id, choiceId, now);
        await challengesRepo.insert(trx, {
          id,
          tenant_id: tenant.id,
          flow_id: flow.id,
          user_id: user.id,
          mechanism_id: choiceId,
          code_digest: codeDigest(id, code),
          link_digest: sha256(token),
          expires_at: new Date(now.getTime() + emailChallengeLifetimeMs),
        });
      });
      const messages = messagesFor({
        uiLocales: context.locale,
        tenantDefault: tenant.policies.branding?.defaultLocale,
      });
      const link = approvalLink(tenant.id, token);
      await mailer.send(
        signInCodeMail(messages, { to: user.email, code, link, minutes: emailChallengeLifetimeMs / 60000 }),
      );
    },
    answer: async (context, answer) => {
      const challenge = await latestLive(context);
      const code = answer.replace(/\s+/g, '');
      if (challenge === undefined || !/^\d{6}$/.test(code)) return undefined;
      if (!constantTimeEqual(codeDigest(challenge.id, code), challenge.code_digest)) return undefined;
      const spent = await challengesRepo.consume(deps.db, challenge.id, deps.clock.now());
      return spent === undefined ? undefined : challenge.user_id;
    },
    poll: async (context) => {
      const challenge = await latestLive(context);
      if (challenge?.approved_at == null) return undefined;
      const spent = await challengesRepo.consume(deps.db, challenge.id, deps.clock.now());
      return spent === undefined ? undefined : challenge.user_id;
    },
  };
};
