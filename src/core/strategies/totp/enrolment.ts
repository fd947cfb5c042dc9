import { Secret, TOTP } from 'otpauth';
import { newId } from '../../../lib/ids.js';
import type { DbExecutor } from '../../../store/database.js';
import { factorsRepo } from '../../../store/repositories/mfa-factors.js';
import type { CoreDeps } from '../../deps.js';
import { GatehouseError } from '../../errors.js';
import type { Tenant } from '../../tenants/tenant.js';
import type { User } from '../../users/user.js';
import { totpParameters, totpStep } from './totp.js';

/** A TOTP seed waiting for its first code: shown once (as a QR code of `uri`, and as text). */
export interface TotpEnrolment {
  /** Base32 seed, for manual entry. */
  readonly secret: string;
  /** `otpauth://totp/…` (Google Authenticator key URI format). */
  readonly uri: string;
}

const enrolmentOf = (tenant: Tenant, user: User, secret: string): TotpEnrolment => ({
  secret,
  uri: new TOTP({ issuer: tenant.name, label: user.email ?? user.id, secret, ...totpParameters }).toString(),
});

/** A first code that proved a pending seed, ready to be confirmed. */
export interface ProvedSeed {
  readonly factorId: string;
  readonly step: number;
  /** Whether a confirmed authenticator is being replaced. */
  readonly replaced: boolean;
}

/**
 * The enrolment half of `totp`: a new seed (sealed with the master key, counted only once a first code proves it), the
 * check of that first code, and its confirmation (replacing any earlier authenticator). What a change needs around it
 * (a step-up, the end of earlier sign-ins, the audit) is the caller's.
 */
export const createTotpEnrolment = (deps: CoreDeps, pendingLifetimeMs: number) => ({
  /** A new unconfirmed seed replaces any earlier unconfirmed one. */
  begin: async (tenant: Tenant, user: User): Promise<TotpEnrolment> => {
    const secret = new Secret({ size: 20 }).base32;
    await deps.db.transaction().execute(async (trx) => {
      await factorsRepo.deleteKind(trx, tenant.id, user.id, 'totp', true);
      await factorsRepo.insert(trx, [
        { id: newId(), tenant_id: tenant.id, user_id: user.id, kind: 'totp', secret_enc: deps.secretBox.seal(secret) },
      ]);
    });
    return enrolmentOf(tenant, user, secret);
  },

  /**
   * The seed still waiting for its first code (started within the pending lifetime), to show again after a wrong
   * code; undefined when there is none.
   */
  pending: async (tenant: Tenant, user: User, now: Date): Promise<TotpEnrolment | undefined> => {
    const factors = await factorsRepo.listByUser(deps.db, tenant.id, user.id);
    const pending = factors.find(
      (f) =>
        f.kind === 'totp' &&
        f.confirmed_at === null &&
        f.secret_enc !== null &&
        now.getTime() - f.created_at.getTime() <= pendingLifetimeMs,
    );
    return pending?.secret_enc == null ? undefined : enrolmentOf(tenant, user, deps.secretBox.open(pending.secret_enc));
  },

  /**
   * Checks `code` against the pending seed (started within the pending lifetime).
   * @throws GatehouseError `invalid_request` (no enrolment started, or it is too old), `mfa_answer_invalid` (wrong
   *   code)
   */
  prove: async (tenantId: string, userId: string, code: string, now: Date): Promise<ProvedSeed> => {
    const factors = await factorsRepo.listByUser(deps.db, tenantId, userId);
    const pending = factors.find(
      (f) =>
        f.kind === 'totp' &&
        f.confirmed_at === null &&
        f.secret_enc !== null &&
        now.getTime() - f.created_at.getTime() <= pendingLifetimeMs,
    );
    if (pending?.secret_enc == null) throw new GatehouseError('invalid_request', 'start the enrolment first');
    const replaced = factors.some((f) => f.kind === 'totp' && f.confirmed_at !== null);
    const step = totpStep(deps, pending.secret_enc, code, now);
    if (step === undefined)
      throw new GatehouseError('mfa_answer_invalid', 'the code is wrong; check the time on the device');
    return { factorId: pending.id, step, replaced };
  },

  /** Confirms a proved seed inside the caller's transaction; the user's other authenticators go. */
  confirm: async (trx: DbExecutor, tenantId: string, userId: string, proved: ProvedSeed, now: Date) => {
    const confirmed = await factorsRepo.confirm(trx, proved.factorId, proved.step, now);
    if (confirmed === undefined) throw new GatehouseError('invalid_request', 'start the enrolment first');
    await factorsRepo.deleteOthers(trx, tenantId, userId, 'totp', proved.factorId);
  },
});
