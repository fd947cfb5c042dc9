import { randomInt } from 'node:crypto';
import { constantTimeEqual, hashPassword, sha256, verifyPassword } from '../../lib/crypto.js';
import { isUniqueViolation } from '../../store/database.js';
import { emailChangesRepo } from '../../store/repositories/email-changes.js';
import { factorsRepo } from '../../store/repositories/mfa-factors.js';
import { usersRepo } from '../../store/repositories/users.js';
import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import type { Mailer } from '../mail/mailer.js';
import { createRequireStepUp, type StepUpProof, stepUpMaxAgeSeconds } from '../strategies/step-up.js';
import type { Tenant } from '../tenants/tenant.js';
import { isEmailShaped, normaliseEmail } from './email.js';
import type { User } from './user.js';
import { toUser } from './users.js';

/** How long the code of an email change works. */
export const emailChangeLifetimeSeconds = 15 * 60;
/** Wrong codes an email change survives; then it ends and the user starts again. */
export const emailChangeAttempts = 5;

/** The sign-in behind a change: when it happened (`auth_time`), for the changes that need a fresh one. */
export interface FreshSignIn {
  readonly authTime: Date | undefined;
}

/** The words of the email-change mail, in the user's language (the surface chooses them). */
export interface EmailChangeMail {
  readonly subject: string;
  /** The text; `{code}` is replaced by the code. */
  readonly text: string;
}

const isFresh = (deps: CoreDeps, signIn: FreshSignIn): boolean =>
  signIn.authTime !== undefined && deps.clock.now().getTime() - signIn.authTime.getTime() <= stepUpMaxAgeSeconds * 1000;

/**
 * What a signed-in user changes about their own account (`core.account`): their name, their email (only once a code
 * mailed to the new address comes back), their password (with the current one, or within five minutes of a sign-in),
 * and the removal of their second factors (after a step-up). Each change is audited as the user's.
 */
export const createAccountSettings = (deps: CoreDeps, audit: AuditLog, mailer: Mailer) => {
  const requireStepUp = createRequireStepUp(deps);
  const record = (
    type: 'user.updated' | 'user.password_set' | 'user.email_changed' | 'mfa.factor_changed',
    user: { tenantId: string; id: string },
    ip: string | undefined,
    details?: Record<string, unknown>,
  ) =>
    audit.record({
      type,
      outcome: 'success',
      tenantId: user.tenantId,
      userId: user.id,
      actor: `user:${user.id}`,
      ...(ip === undefined ? {} : { ip }),
      ...(details === undefined ? {} : { details }),
    });

  return {
    /** Changes the user's names (null clears one). @throws GatehouseError `invalid_request`, `not_found` */
    updateProfile: async (
      user: User,
      names: { firstName?: string | null; lastName?: string | null; displayName?: string | null },
      ip?: string,
    ): Promise<User> => {
      for (const [field, value] of Object.entries(names))
        if (value !== null && value !== undefined && (typeof value !== 'string' || value.length > 200))
          throw new GatehouseError('invalid_request', `${field}: at most 200 characters`);
      const blankToNull = (value: string | null | undefined) =>
        value === undefined ? undefined : value === null || value.trim() === '' ? null : value.trim();
      const [firstName, lastName, displayName] = [names.firstName, names.lastName, names.displayName].map(blankToNull);
      const row = await usersRepo.update(deps.db, user.tenantId, user.id, {
        ...(firstName === undefined ? {} : { first_name: firstName }),
        ...(lastName === undefined ? {} : { last_name: lastName }),
        ...(displayName === undefined ? {} : { display_name: displayName }),
      });
      if (row === undefined) throw new GatehouseError('not_found', 'the user does not exist');
      record('user.updated', user, ip, { fields: Object.keys(names) });
      return toUser(row);
    },

    /**
     * Sets the user's password: with the current one when they have one, or within five minutes of a sign-in (a
     * fresh re-authentication). Clears an operator's required reset.
     * @throws GatehouseError `invalid_request` (8 to 1024 characters), `step_up_required` (`details.reason`
     *   `current_password_wrong` or `sign_in_again`)
     */
    changePassword: async (
      user: User,
      input: { currentPassword?: string; newPassword: string },
      signIn: FreshSignIn,
      ip?: string,
    ): Promise<void> => {
      if (input.newPassword.length < 8 || input.newPassword.length > 1024)
        throw new GatehouseError('invalid_request', 'password: must be 8 to 1024 characters long');
      const row = await usersRepo.find(deps.db, user.tenantId, user.id);
      if (row === undefined) throw new GatehouseError('not_found', 'the user does not exist');
      const current = input.currentPassword ?? '';
      if (current !== '' && row.password_hash !== null) {
        if (!(await verifyPassword(row.password_hash, current)))
          throw new GatehouseError('step_up_required', 'the current password is wrong', {
            details: { reason: 'current_password_wrong' },
          });
      } else if (!isFresh(deps, signIn)) {
        throw new GatehouseError('step_up_required', 'setting a password needs a sign-in from the last 5 minutes', {
          details: { reason: 'sign_in_again' },
        });
      }
      await usersRepo.update(deps.db, user.tenantId, user.id, {
        password_hash: await hashPassword(input.newPassword),
        password_reset_required: false,
      });
      record('user.password_set', user, ip);
    },

    /**
     * Starts a change of the user's email: mails a six-digit code to the new address (valid 15 minutes, one change at
     * a time per user). Nothing else changes until the code comes back. Whether the address belongs to someone else is
     * told only to whoever can read its mail, at confirmation.
     * @throws GatehouseError `invalid_request` (not an address, or the current one), `server_error` (mail failed)
     */
    beginEmailChange: async (user: User, newEmail: string, mail: EmailChangeMail): Promise<void> => {
      const email = normaliseEmail(newEmail);
      if (!isEmailShaped(email)) throw new GatehouseError('invalid_request', 'email: not an email address');
      if (email === user.email) throw new GatehouseError('invalid_request', 'email: that is already your address');
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      await emailChangesRepo.upsert(deps.db, {
        user_id: user.id,
        tenant_id: user.tenantId,
        email,
        code_digest: sha256(code),
        expires_at: new Date(deps.clock.now().getTime() + emailChangeLifetimeSeconds * 1000),
      });
      await mailer.send({ to: email, subject: mail.subject, text: mail.text.replaceAll('{code}', code) });
    },

    /** The address a started change waits on, if any. */
    pendingEmailChange: async (user: User): Promise<string | undefined> =>
      (await emailChangesRepo.find(deps.db, user.tenantId, user.id, deps.clock.now()))?.email,

    /**
     * Completes an email change with its code, once: the email changes (verified) and the change ends, in one
     * transaction. A wrong code counts; after five the change ends.
     * @throws GatehouseError `invalid_request` (no change waiting), `mfa_answer_invalid` (wrong or expired code),
     *   `email_taken`
     */
    confirmEmailChange: async (user: User, code: string, ip?: string): Promise<User> => {
      const now = deps.clock.now();
      const pending = await emailChangesRepo.find(deps.db, user.tenantId, user.id, now);
      if (pending === undefined) throw new GatehouseError('invalid_request', 'no email change is waiting for a code');
      const digest = sha256(code.replace(/\s+/g, ''));
      if (!constantTimeEqual(digest, pending.code_digest)) {
        if ((await emailChangesRepo.countAttempt(deps.db, user.id)) >= emailChangeAttempts)
          await emailChangesRepo.delete(deps.db, user.id);
        throw new GatehouseError('mfa_answer_invalid', 'the code is wrong or expired');
      }
      try {
        const row = await deps.db.transaction().execute(async (trx) => {
          const consumed = await emailChangesRepo.consume(trx, user.id, digest, now);
          if (consumed === undefined) throw new GatehouseError('mfa_answer_invalid', 'the code is wrong or expired');
          return usersRepo.update(trx, user.tenantId, user.id, { email: consumed.email, email_verified: true });
        });
        if (row === undefined) throw new GatehouseError('not_found', 'the user does not exist');
        record('user.email_changed', user, ip);
        return toUser(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new GatehouseError('email_taken', 'the email address is already in use');
        throw error;
      }
    },

    /**
     * Removes the user's authenticator apps and recovery codes, after a step-up (a recent sign-in that answered a
     * second factor, or a code of one now).
     * @throws GatehouseError `step_up_required`, `rate_limited`
     */
    removeSecondFactors: async (tenant: Tenant, user: User, proof: StepUpProof, ip?: string): Promise<void> => {
      await requireStepUp(tenant, user.id, proof);
      await deps.db.transaction().execute(async (trx) => {
        await factorsRepo.deleteKind(trx, tenant.id, user.id, 'totp');
        await factorsRepo.deleteKind(trx, tenant.id, user.id, 'recovery_code');
      });
      record('mfa.factor_changed', user, ip, { removed: ['totp', 'recovery_code'] });
    },
  };
};

export type AccountSettings = ReturnType<typeof createAccountSettings>;
