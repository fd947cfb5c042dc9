import type { Transaction } from 'kysely';
import type { ExternalProfile } from '../../connectors/connector.js';
import { newId } from '../../lib/ids.js';
import { createReturningSignIns } from '../../store/batched/returning-sign-ins.js';
import { createSignInTimes, type SignInTimes } from '../../store/batched/sign-in-times.js';
import { type DbExecutor, isUniqueViolation } from '../../store/database.js';
import { identitiesRepo } from '../../store/repositories/identities.js';
import { usersRepo } from '../../store/repositories/users.js';
import type { Database, UserRow } from '../../store/schema.js';
import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { requireSignupAllowed } from '../flows/kinds/registration.js';
import type { Tenant } from '../tenants/tenant.js';
import { isEmailShaped, normaliseEmail } from '../users/email.js';
import { toIdentity, toUser } from '../users/users.js';
import { spendLinkProof } from './link-proof.js';
import { recordOutcome } from './outcome-audit.js';
import {
  type AccountIntent,
  type AccountResolution,
  isSignedIn,
  type ResolveAccountInput,
  requireActive,
  type SignupProfile,
} from './outcomes.js';
import { signInReturningUser } from './returning-sign-in.js';
import { runWithin, type WithinResolution } from './within-resolution.js';

/*
 * The account decision: the outcome table of `AccountResolution`, over the tenant's users and identities, in one
 * transaction. A returning user's sign-in takes a shorter path without one (`returning-sign-in.ts`); the work that
 * commits with a signed-in outcome is described in `within-resolution.ts`; the audit event of each outcome is
 * `outcome-audit.ts`.
 */

type Trx = Transaction<Database>;

/** An identity stored under one of the profile's former subjects, re-keyed to its subject in this transaction. */
const formerIdentity = async (trx: Trx, tenantId: string, profile: ExternalProfile) => {
  for (const former of profile.formerSubjects ?? []) {
    const found = await identitiesRepo.find(trx, tenantId, profile.idp, former);
    if (found !== undefined) return identitiesRepo.rekey(trx, found.id, profile.subject);
  }
  return undefined;
};

// Step 1: the identity is already linked.
const existingLink = async (
  trx: Trx,
  input: ResolveAccountInput,
  now: Date,
): Promise<AccountResolution | undefined> => {
  const { tenant, profile, intent } = input;
  const identity =
    (await identitiesRepo.find(trx, tenant.id, profile.idp, profile.subject)) ??
    (await formerIdentity(trx, tenant.id, profile));
  if (identity === undefined) return undefined;
  if (intent.kind === 'link' && identity.user_id !== intent.proof.userId) return { kind: 'already_linked_elsewhere' };
  const user = await usersRepo.find(trx, tenant.id, identity.user_id);
  if (user === undefined) throw new Error(`identity ${identity.id} has no user`);
  requireActive(user);
  await identitiesRepo.touch(trx, identity.id, now);
  return { kind: 'logged_in', user: toUser(user), identity: toIdentity({ ...identity, last_login_at: now }) };
};

const insertIdentity = async (trx: Trx, tenant: Tenant, profile: ExternalProfile, user: UserRow) =>
  toIdentity(
    await identitiesRepo.insert(trx, {
      id: newId(),
      tenant_id: tenant.id,
      user_id: user.id,
      idp: profile.idp,
      issuer: profile.issuer,
      subject: profile.subject,
      email: profile.email === undefined ? null : normaliseEmail(profile.email),
      email_verified: profile.emailVerified,
      raw: { ...profile.raw },
    }),
  );

// Step 2 (link intent): the owner proved themselves; attach, unless the email belongs to someone else.
const linkWithProof = async (trx: Trx, input: ResolveAccountInput, userId: string): Promise<AccountResolution> => {
  const { tenant, profile } = input;
  const user = await usersRepo.find(trx, tenant.id, userId);
  if (user === undefined) throw new GatehouseError('invalid_grant', 'the account to link to does not exist');
  requireActive(user);
  const email = profile.email === undefined ? undefined : normaliseEmail(profile.email);
  if (email !== undefined && email !== user.email) {
    const owner = await usersRepo.findByEmail(trx, tenant.id, email);
    // Linking another person's address to this account would let its owner's email resolve here later.
    if (owner !== undefined && owner.id !== user.id) return { kind: 'merge_needed', email };
  }
  return {
    kind: 'linked',
    user: toUser(user),
    identity: await insertIdentity(trx, tenant, profile, user),
    automatic: false,
  };
};

/**
 * The address a new identity comes with: the sign-up's chosen one, else the IdP's. `proven` only when the IdP verified
 * that very address and the connection is trusted for it (`trustEmail`): only then may an answer reveal that an
 * account has it (`merge_needed`), since whoever presents the identity has shown they own the address.
 */
const signupEmail = (input: ResolveAccountInput, supplied: SignupProfile | undefined) => {
  const { profile } = input;
  const idpEmail = profile.email === undefined ? undefined : normaliseEmail(profile.email);
  const chosen = supplied?.email === undefined ? idpEmail : normaliseEmail(supplied.email);
  if (chosen !== undefined && !isEmailShaped(chosen))
    throw new GatehouseError('invalid_request', 'email: not an email address');
  // Only the address the IdP itself verified counts as verified.
  const verified = chosen !== undefined && chosen === idpEmail && profile.emailVerified;
  return { email: chosen, verified, proven: verified && input.connectionTrusted };
};

// Step 3: a new identity. Auto-link by a verified email only under the tenant's policy; else create or refuse.
const newIdentity = async (trx: Trx, input: ResolveAccountInput, now: Date): Promise<AccountResolution> => {
  const { tenant, profile, intent } = input;
  const supplied = intent.kind === 'signup' ? intent.profile : undefined;
  const { email, verified, proven } = signupEmail(input, supplied);
  if (email === undefined) {
    if (intent.kind === 'login' || tenant.policies.requireEmail !== false)
      return { kind: 'email_missing', idp: profile.idp };
  } else {
    const owner = await usersRepo.findByEmail(trx, tenant.id, email);
    if (owner !== undefined) {
      // An address nobody proved gets the answer an unknown one gets, in as many statements (no account enumeration,
      // by answer or by time): a login needs a new user; a sign-up creates one that keeps the address aside
      // (`pendingEmail`), claiming nothing of the owner's. A concurrent first sign-up of this identity makes the
      // identity insert collide, and the retry finds its link.
      if (!proven) {
        if (intent.kind === 'login') return { kind: 'new_user_required', profile };
        return createUser(trx, input, supplied, { email: null, verified: false, pendingEmail: email });
      }
      // Each statement sees what was committed before it ran: a concurrent first login of this same identity may
      // have committed its user and identity between our two reads. Its link, not a merge, is the answer then.
      const linkedMeanwhile = await existingLink(trx, input, now);
      if (linkedMeanwhile !== undefined) return linkedMeanwhile;
      const autoLink = tenant.policies.linking === 'auto_link_verified' && owner.email_verified;
      if (!autoLink) return { kind: 'merge_needed', email };
      requireActive(owner);
      return {
        kind: 'linked',
        user: toUser(owner),
        identity: await insertIdentity(trx, tenant, profile, owner),
        automatic: true,
      };
    }
    if (intent.kind === 'login') return { kind: 'new_user_required', profile };
  }
  return createUser(trx, input, supplied, { email: email ?? null, verified });
};

const createUser = async (
  trx: Trx,
  input: ResolveAccountInput,
  supplied: SignupProfile | undefined,
  address: { email: string | null; verified: boolean; pendingEmail?: string },
): Promise<AccountResolution> => {
  const { tenant, profile } = input;
  // The tenant's `signup` policy decides whether an identity provider creates accounts (nothing is written otherwise).
  requireSignupAllowed(tenant, 'upstream');
  const user = await usersRepo.insert(trx, {
    id: newId(),
    tenant_id: tenant.id,
    email: address.email,
    email_verified: address.verified,
    password_hash: null,
    first_name: supplied?.firstName ?? profile.givenName ?? null,
    last_name: supplied?.lastName ?? profile.familyName ?? null,
    display_name: supplied?.displayName ?? profile.displayName ?? null,
    profile: JSON.stringify({
      ...(supplied?.bio === undefined ? {} : { bio: supplied.bio }),
      ...(supplied?.publicData === undefined ? {} : { publicData: supplied.publicData }),
      ...(supplied?.protectedData === undefined ? {} : { protectedData: supplied.protectedData }),
      ...(supplied?.privateData === undefined ? {} : { privateData: supplied.privateData }),
      ...(profile.picture === undefined ? {} : { picture: profile.picture }),
      ...(address.pendingEmail === undefined ? {} : { pendingEmail: address.pendingEmail }),
    }),
    status: 'active',
  });
  return { kind: 'created', user: toUser(user), identity: await insertIdentity(trx, tenant, profile, user) };
};

const decide = async (trx: Trx, input: ResolveAccountInput, audit: AuditLog, now: Date): Promise<AccountResolution> => {
  const { intent } = input;
  const resolution =
    (await existingLink(trx, input, now)) ??
    (intent.kind === 'link'
      ? await linkWithProof(trx, input, intent.proof.userId)
      : await newIdentity(trx, input, now));
  // A proof is spent with the sign-in it gave, in its transaction: replayed, it undoes the link and signs nobody in.
  if (intent.kind === 'link' && isSignedIn(resolution)) await spendLinkProof(trx, audit, intent.proof, now);
  return resolution;
};

/** Concurrent first logins of one identity collide on a unique index; the losers retry and find the winner's link. */
const maxAttempts = 4;

/**
 * Resolves an upstream identity against the tenant's accounts, in one transaction (see `AccountResolution` for the
 * table). With `within`, work that must commit with a signed-in outcome (issuing tokens) runs in the same
 * transaction. Emails are compared normalised (`normaliseEmail`).
 * @throws GatehouseError `user_disabled`, `invalid_request` (a supplied email that is not one), `invalid_grant`
 *   (link target gone), `conflict` (still contended after retries: retryable), and whatever `within` throws.
 */
export const createAccountResolver = (
  deps: CoreDeps,
  audit: AuditLog,
  /** Prepares what `within` will need without a second connection (the tenant's signing keys). */
  beforeTransaction: (tenantId: string) => Promise<void> = async () => {},
  signInTimes: SignInTimes = createSignInTimes(deps),
) => {
  // Returning users' sign-ins arriving together are looked up (and their refresh tokens stored) in one statement.
  const returningSignIns = createReturningSignIns(deps.db);
  const resolve = async <T = undefined>(
    input: ResolveAccountInput,
    within?: WithinResolution<T>,
    db: DbExecutor = deps.db,
  ): Promise<{ resolution: AccountResolution; result: T | undefined }> => {
    if (within !== undefined) await beforeTransaction(input.tenant.id);
    if (!db.isTransaction && input.intent.kind !== 'link') {
      const known = await signInReturningUser(deps, signInTimes, returningSignIns, input, within);
      if (known !== undefined) {
        recordOutcome(audit, input, known.resolution);
        return known;
      }
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const run = async (trx: Trx) => {
          const resolution = await decide(trx, input, audit, deps.clock.now());
          const result =
            within !== undefined && isSignedIn(resolution) ? await runWithin(within, trx, resolution) : undefined;
          return { resolution, result };
        };
        const outcome = db.isTransaction ? await run(db as Trx) : await deps.db.transaction().execute(run);
        recordOutcome(audit, input, outcome.resolution);
        return outcome;
      } catch (error) {
        if (!isUniqueViolation(error) || db.isTransaction) throw error;
        if (attempt >= maxAttempts)
          throw new GatehouseError('conflict', 'the account is being created concurrently; retry');
      }
    }
  };
  return {
    resolve,
    /** Writes the buffered sign-in times of returning users (shutdown, tests). */
    flushSignInTimes: signInTimes.flush,
  };
};

export type AccountResolver = ReturnType<typeof createAccountResolver>;
export { accountAuditType } from './outcome-audit.js';
export type { PlannedWork, WithinResolution } from './within-resolution.js';
export type { AccountIntent, ResolveAccountInput };
