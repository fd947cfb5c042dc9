import type { Transaction } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import { newId } from '../../lib/ids.js';
import { revokeTokenFamily } from '../../store/combined/revoke-token-families.js';
import type { DbExecutor } from '../../store/database.js';
import { factorsRepo } from '../../store/repositories/mfa.js';
import { sessionsRepo } from '../../store/repositories/sessions.js';
import { tokenFamiliesRepo } from '../../store/repositories/token-families.js';
import type { Database } from '../../store/schema.js';
import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';
import type { User } from '../users/user.js';
import { newRecoveryCode, recoveryCodeDigest } from './mechanisms/recovery-code.js';
import { totpParameters, totpStep } from './mechanisms/totp.js';
import { createRequireStepUp, type StepUpProof, stepUpMaxAgeSeconds } from './step-up.js';

/** How many recovery codes a user gets; each works once. */
export const recoveryCodeCount = 10;

/** What a user has set up. */
export interface FactorSummary {
  readonly totp: boolean;
  readonly recoveryCodesLeft: number;
}

/** A TOTP seed waiting for its first code: shown once (as a QR code of `uri`, and as text). */
export interface TotpEnrolment {
  /** Base32 seed, for manual entry. */
  readonly secret: string;
  /** `otpauth://totp/…` (Google Authenticator key URI format). */
  readonly uri: string;
}

/** How long a started enrolment waits for its first code (it was started after a step-up). */
const pendingEnrolmentMs = 2 * stepUpMaxAgeSeconds * 1000;

/** The change is made by this session (hosted pages), which stays; the user's other sessions end. */
export interface EnrolmentContext {
  readonly keepSid?: string;
  readonly ip?: string;
}

/**
 * Second-factor enrolment for a signed-in user: a TOTP authenticator (seed sealed with the master key, counted only
 * once a first code proves it) and recovery codes (stored as SHA-256 digests, shown once). Every change needs a
 * step-up ({@link createRequireStepUp}), and ends what the user's earlier sign-ins obtained: their refresh-token
 * families are revoked and their other sessions end, in the transaction of the change, which is audited.
 */
export const createMfaEnrolment = (deps: CoreDeps, audit: AuditLog) => {
  const requireStepUp = createRequireStepUp(deps);

  const writeCodes = async (db: DbExecutor, tenantId: string, userId: string): Promise<string[]> => {
    const codes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
    await factorsRepo.deleteKind(db, tenantId, userId, 'recovery_code');
    await factorsRepo.insert(
      db,
      codes.map((code) => ({
        id: newId(),
        tenant_id: tenantId,
        user_id: userId,
        kind: 'recovery_code' as const,
        code_digest: recoveryCodeDigest(code),
      })),
    );
    return codes;
  };

  /** Revokes the user's refresh-token families and ends their other sessions; @returns how many of each. */
  const endEarlierSignIns = async (
    trx: Transaction<Database>,
    tenantId: string,
    userId: string,
    keepSid: string | undefined,
  ) => {
    const families = await tokenFamiliesRepo.listLiveOfUser(trx, tenantId, userId);
    let familiesRevoked = 0;
    const now = deps.clock.now();
    for (const id of families) if (await revokeTokenFamily(trx, id, now)) familiesRevoked += 1;
    const sessionsEnded = await sessionsRepo.deleteOthersOfUser(trx, tenantId, userId, keepSid);
    return { familiesRevoked, sessionsEnded };
  };

  const recordChange = (
    tenantId: string,
    userId: string,
    details: Record<string, unknown>,
    context: EnrolmentContext,
  ): void => {
    audit.record({
      type: 'mfa.factor_changed',
      outcome: 'success',
      tenantId,
      userId,
      actor: `user:${userId}`,
      ...(context.ip === undefined ? {} : { ip: context.ip }),
      details,
    });
  };

  return {
    summary: async (tenantId: string, userId: string): Promise<FactorSummary> => {
      const factors = await factorsRepo.listByUser(deps.db, tenantId, userId);
      return {
        totp: factors.some((f) => f.kind === 'totp' && f.confirmed_at !== null),
        recoveryCodesLeft: factors.filter((f) => f.kind === 'recovery_code' && f.used_at === null).length,
      };
    },

    /**
     * Starts (or restarts) TOTP enrolment after a step-up: a new unconfirmed seed replaces any earlier unconfirmed one.
     * @throws GatehouseError `step_up_required`, `rate_limited`
     */
    beginTotp: async (tenant: Tenant, user: User, proof: StepUpProof): Promise<TotpEnrolment> => {
      await requireStepUp(tenant, user.id, proof);
      const secret = new Secret({ size: 20 }).base32;
      await deps.db.transaction().execute(async (trx) => {
        await factorsRepo.deleteKind(trx, tenant.id, user.id, 'totp', true);
        await factorsRepo.insert(trx, [
          {
            id: newId(),
            tenant_id: tenant.id,
            user_id: user.id,
            kind: 'totp',
            secret_enc: deps.secretBox.seal(secret),
          },
        ]);
      });
      const totp = new TOTP({ issuer: tenant.name, label: user.email ?? user.id, secret, ...totpParameters });
      return { secret, uri: totp.toString() };
    },

    /**
     * Confirms the pending seed (started in the last 10 minutes) with a code from the app. The new authenticator
     * replaces any earlier one, a fresh set of recovery codes is returned (the only time they are seen), the user's
     * refresh-token families are revoked and their other sessions end.
     * @throws GatehouseError `invalid_request` (no enrolment started, or it is too old), `mfa_answer_invalid` (wrong
     *   code)
     */
    confirmTotp: async (
      tenantId: string,
      userId: string,
      code: string,
      context: EnrolmentContext = {},
    ): Promise<{ recoveryCodes: string[] }> => {
      const factors = await factorsRepo.listByUser(deps.db, tenantId, userId);
      const now = deps.clock.now();
      const pending = factors.find(
        (f) =>
          f.kind === 'totp' &&
          f.confirmed_at === null &&
          f.secret_enc !== null &&
          now.getTime() - f.created_at.getTime() <= pendingEnrolmentMs,
      );
      if (pending?.secret_enc == null) throw new GatehouseError('invalid_request', 'start the enrolment first');
      const replaced = factors.some((f) => f.kind === 'totp' && f.confirmed_at !== null);
      const step = totpStep(deps, pending.secret_enc, code, now);
      if (step === undefined)
        throw new GatehouseError('mfa_answer_invalid', 'the code is wrong; check the time on the device');
      const { recoveryCodes, ended } = await deps.db.transaction().execute(async (trx) => {
        const confirmed = await factorsRepo.confirm(trx, pending.id, step, now);
        if (confirmed === undefined) throw new GatehouseError('invalid_request', 'start the enrolment first');
        await factorsRepo.deleteOthers(trx, tenantId, userId, 'totp', pending.id);
        const codes = await writeCodes(trx, tenantId, userId);
        return { recoveryCodes: codes, ended: await endEarlierSignIns(trx, tenantId, userId, context.keepSid) };
      });
      recordChange(tenantId, userId, { factor: 'totp', replaced, ...ended }, context);
      return { recoveryCodes };
    },

    /**
     * Replaces the user's recovery codes after a step-up; the old ones stop working, and so do earlier sign-ins.
     * @throws GatehouseError `step_up_required`, `rate_limited`
     */
    regenerateRecoveryCodes: async (
      tenant: Tenant,
      userId: string,
      proof: StepUpProof,
      context: EnrolmentContext = {},
    ): Promise<string[]> => {
      await requireStepUp(tenant, userId, proof);
      const { codes, ended } = await deps.db.transaction().execute(async (trx) => ({
        codes: await writeCodes(trx, tenant.id, userId),
        ended: await endEarlierSignIns(trx, tenant.id, userId, context.keepSid),
      }));
      recordChange(tenant.id, userId, { factor: 'recovery_code', replaced: true, ...ended }, context);
      return codes;
    },
  };
};

export type MfaEnrolment = ReturnType<typeof createMfaEnrolment>;
