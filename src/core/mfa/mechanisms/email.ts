import { randomInt } from 'node:crypto';
import { constantTimeEqual, randomToken, sha256 } from '../../../lib/crypto.js';
import { newId } from '../../../lib/ids.js';
import { challengesRepo } from '../../../store/repositories/mfa.js';
import type { CoreDeps } from '../../deps.js';
import { GatehouseError } from '../../errors.js';
import type { Mailer } from '../../mail/mailer.js';
import type { UserUseCases } from '../../users/users.js';
import { spend } from '../limits.js';
import { mfaRateLimits } from '../mfa-policy.js';
import type { Mechanism, MechanismContext } from './mechanism.js';

/** How long an emailed code and link work. */
export const emailChallengeLifetimeMs = 10 * 60 * 1000;

/**
 * The hosted page an emailed link opens: `{publicUrl}/t/{tenant}/mfa/email?token={token}`. The token rides in the
 * query, which request logs leave out.
 */
export const emailLinkUrl = (publicUrl: string, tenantId: string, token: string): string =>
  `${publicUrl}/t/${encodeURIComponent(tenantId)}/mfa/email?token=${token}`;

const codeDigest = (challengeId: string, code: string): string => sha256(`${challengeId}:${code}`);

const message = (to: string, code: string, link: string) => ({
  to,
  subject: 'Confirm your sign-in',
  text: [
    'Someone (hopefully you) is signing in.',
    '',
    `Enter this code: ${code}`,
    `or open this link to approve the sign-in: ${link}`,
    '',
    `Both work once and expire in ${emailChallengeLifetimeMs / 60000} minutes. If this was not you, ignore this email.`,
  ].join('\n'),
});

/**
 * `EMAIL`: an out-of-band message with a six-digit code and a link, sent to the user's address. The code can be typed
 * (Answer) or the link clicked and the flow polled (Poll); either spends the challenge. A new email supersedes the
 * previous one.
 */
export const createEmailMechanism = (deps: CoreDeps, users: UserUseCases, mailer: Mailer): Mechanism => {
  const latestLive = async ({ flow, mechanismId }: MechanismContext) => {
    const challenge = await challengesRepo.latest(deps.db, flow.id, mechanismId);
    const now = deps.clock.now();
    return challenge === undefined || challenge.consumed_at !== null || challenge.expires_at <= now
      ? undefined
      : challenge;
  };
  return {
    name: 'EMAIL',
    answerType: 'oob',
    amr: ['otp'],
    startOob: async (context) => {
      const { tenant, flow, mechanismId, userId } = context;
      const user = userId === undefined ? undefined : await users.find(tenant.id, userId);
      if (user?.email == null) throw new GatehouseError('invalid_request', 'this account has no email address');
      await spend(deps.kv, 'email_flow', flow.id, mfaRateLimits.emailsPerFlow);
      await spend(deps.kv, 'email_user', user.id, mfaRateLimits.emailsPerUser);
      const now = deps.clock.now();
      const id = newId();
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const token = randomToken(32);
      await deps.db.transaction().execute(async (trx) => {
        await challengesRepo.supersede(trx, flow.id, mechanismId, now);
        await challengesRepo.insert(trx, {
          id,
          tenant_id: tenant.id,
          flow_id: flow.id,
          user_id: user.id,
          mechanism_id: mechanismId,
          code_digest: codeDigest(id, code),
          link_digest: sha256(token),
          expires_at: new Date(now.getTime() + emailChallengeLifetimeMs),
        });
      });
      await mailer.send(message(user.email, code, emailLinkUrl(deps.settings.publicUrl, tenant.id, token)));
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
