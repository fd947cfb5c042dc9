import type { Transaction } from 'kysely';
import { revokeTokenFamily } from '../../store/combined/revoke-token-families.js';
import { factorsRepo } from '../../store/repositories/mfa-factors.js';
import { sessionsRepo } from '../../store/repositories/sessions.js';
import { tokenFamiliesRepo } from '../../store/repositories/token-families.js';
import type { Database } from '../../store/schema.js';
import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import type { Tenant } from '../tenants/tenant.js';
import type { User } from '../users/user.js';
import { writeRecoveryCodes } from './recovery-code/codes.js';
import { createRequireStepUp, type StepUpProof, stepUpMaxAgeSeconds } from './step-up.js';
import { createTotpEnrolment, type TotpEnrolment } from './totp/enrolment.js';

/** What a user has set up. */
export interface FactorSummary {
  readonly totp: boolean;
  readonly recoveryCodesLeft: number;
}

/** How long a started enrolment waits for its first code (it was started after a step-up). */
const pendingEnrolmentMs = 2 * stepUpMaxAgeSeconds * 1000;

/** The change is made by this session (hosted pages), which stays; the user's other sessions end. */
export interface EnrolmentContext {
  readonly keepSid?: string;
  readonly ip?: string;
}

/**
 * The settings a signed-in user changes about their second factors (the seed of a `settings` flow kind), over the
 * enrolment halves of the `totp` and `recovery_code` strategies: a TOTP authenticator (seed sealed with the master key, counted only
 * once a first code proves it) and recovery codes (stored as SHA-256 digests, shown once). Every change needs a
 * step-up ({@link createRequireStepUp}), and ends what the user's earlier sign-ins obtained: their refresh-token
 * families are revoked and their other sessions end, in the transaction of the change, which is audited.
 */
export const createMfaEnrolment = (deps: CoreDeps, audit: AuditLog) => {
  const requireStepUp = createRequireStepUp(deps);

  const totp = createTotpEnrolment(deps, pendingEnrolmentMs);

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
      return totp.begin(tenant, user);
    },

    /** The seed waiting for its first code, shown again after a wrong code; undefined when none is pending. */
    pendingTotp: (tenant: Tenant, user: User): Promise<TotpEnrolment | undefined> =>
      totp.pending(tenant, user, deps.clock.now()),

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
      const now = deps.clock.now();
      const proved = await totp.prove(tenantId, userId, code, now);
      const { replaced } = proved;
      const { recoveryCodes, ended } = await deps.db.transaction().execute(async (trx) => {
        await totp.confirm(trx, tenantId, userId, proved, now);
        const codes = await writeRecoveryCodes(trx, tenantId, userId);
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
        codes: await writeRecoveryCodes(trx, tenant.id, userId),
        ended: await endEarlierSignIns(trx, tenant.id, userId, context.keepSid),
      }));
      recordChange(tenant.id, userId, { factor: 'recovery_code', replaced: true, ...ended }, context);
      return codes;
    },
  };
};

export type MfaEnrolment = ReturnType<typeof createMfaEnrolment>;
