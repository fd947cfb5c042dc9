import { Secret, TOTP } from 'otpauth';
import { newId } from '../../lib/ids.js';
import { factorsRepo } from '../../store/repositories/mfa.js';
import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';
import type { User } from '../users/user.js';
import { newRecoveryCode, recoveryCodeDigest } from './mechanisms/recovery-code.js';
import { totpParameters, totpStep } from './mechanisms/totp.js';

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

/**
 * Second-factor enrolment for a signed-in user: a TOTP authenticator (seed sealed with the master key, counted only
 * once a first code proves it) and recovery codes (stored as SHA-256 digests, shown once).
 */
export const createMfaEnrolment = (deps: CoreDeps, audit: AuditLog) => {
  const newCodes = async (tenantId: string, userId: string): Promise<string[]> => {
    const codes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
    await deps.db.transaction().execute(async (trx) => {
      await factorsRepo.deleteKind(trx, tenantId, userId, 'recovery_code');
      await factorsRepo.insert(
        trx,
        codes.map((code) => ({
          id: newId(),
          tenant_id: tenantId,
          user_id: userId,
          kind: 'recovery_code' as const,
          code_digest: recoveryCodeDigest(code),
        })),
      );
    });
    return codes;
  };

  return {
    summary: async (tenantId: string, userId: string): Promise<FactorSummary> => {
      const factors = await factorsRepo.listByUser(deps.db, tenantId, userId);
      return {
        totp: factors.some((f) => f.kind === 'totp' && f.confirmed_at !== null),
        recoveryCodesLeft: factors.filter((f) => f.kind === 'recovery_code' && f.used_at === null).length,
      };
    },

    /** Starts (or restarts) TOTP enrolment: a new unconfirmed seed replaces any earlier unconfirmed one. */
    beginTotp: async (tenant: Tenant, user: User): Promise<TotpEnrolment> => {
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
     * Confirms the pending seed with a code from the app. The new authenticator replaces any earlier one, and a fresh
     * set of recovery codes is returned (the only time they are seen).
     * @throws GatehouseError `invalid_request` (no enrolment started), `mfa_answer_invalid` (wrong code)
     */
    confirmTotp: async (tenantId: string, userId: string, code: string): Promise<{ recoveryCodes: string[] }> => {
      const factors = await factorsRepo.listByUser(deps.db, tenantId, userId);
      const pending = factors.find((f) => f.kind === 'totp' && f.confirmed_at === null && f.secret_enc !== null);
      if (pending?.secret_enc == null) throw new GatehouseError('invalid_request', 'start the enrolment first');
      const now = deps.clock.now();
      const step = totpStep(deps, pending.secret_enc, code, now);
      if (step === undefined)
        throw new GatehouseError('mfa_answer_invalid', 'the code is wrong; check the time on the device');
      const confirmed = await factorsRepo.confirm(deps.db, pending.id, step, now);
      if (confirmed === undefined) throw new GatehouseError('invalid_request', 'start the enrolment first');
      await factorsRepo.deleteOthers(deps.db, tenantId, userId, 'totp', pending.id);
      audit.record({ type: 'mfa.succeeded', outcome: 'success', tenantId, userId, details: { enrolled: 'totp' } });
      return { recoveryCodes: await newCodes(tenantId, userId) };
    },

    /** Replaces the user's recovery codes; the old ones stop working. */
    regenerateRecoveryCodes: newCodes,
  };
};

export type MfaEnrolment = ReturnType<typeof createMfaEnrolment>;
