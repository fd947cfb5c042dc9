import { randomInt } from 'node:crypto';
import type { ExternalProfile } from '../../../connectors/connector.js';
import { constantTimeEqual, sha256 } from '../../../lib/crypto.js';
import { messagesFor } from '../../../lib/i18n.js';
import { flowsRepo } from '../../../store/repositories/flows.js';
import { usersRepo } from '../../../store/repositories/users.js';
import type { LoginFlowRow } from '../../../store/schema.js';
import { isSignedIn } from '../../accounts/outcomes.js';
import type { AccountResolver } from '../../accounts/resolve-account.js';
import type { AuditLog } from '../../audit/events.js';
import type { CoreDeps } from '../../deps.js';
import { GatehouseError, isGatehouseError } from '../../errors.js';
import {
  checkBinding,
  flowInvalid,
  flowLifetimeMs,
  type LoginFlow,
  requireLiveFlow,
  stateDigest,
  toLoginFlow,
} from '../../flows/flow.js';
import { beginLink } from '../../flows/kinds/link.js';
import { maxWrongAnswers, mfaRateLimits, spend } from '../../flows/limits.js';
import type { Mailer } from '../../mail/mailer.js';
import type { Tenant } from '../../tenants/tenant.js';
import { isEmailShaped, normaliseEmail } from '../../users/email.js';
import { toIdpDone } from './idp-done.js';

/** How long a mailed address code works. */
export const addressCodeLifetimeSeconds = 10 * 60;

const codeKey = (flowId: string) => `journey:address:${flowId}`;
const wrongKey = (flowId: string) => `journey:address-wrong:${flowId}`;
const codeDigest = (flowId: string, email: string, code: string) => sha256(`address:${flowId}:${email}:${code}`);

interface PendingCode {
  readonly email: string;
  readonly digest: string;
}

/**
 * An upstream flow whose IdP gave no usable address (hosted pages only): the flow stays `at_idp` (its callback is
 * claimed, so nothing else moves it) and keeps the IdP's identity sealed until the person proves an address by a code
 * mailed to it. Undefined when another request moved the flow.
 */
export const beginAddressStep = async (
  deps: CoreDeps,
  row: LoginFlowRow,
  profile: ExternalProfile,
): Promise<LoginFlowRow | undefined> => {
  const now = deps.clock.now();
  return flowsRepo.transition(
    deps.db,
    row.id,
    { from: ['at_idp'], now },
    {
      pending_identity_enc: deps.secretBox.seal(JSON.stringify(profile)),
      expires_at: new Date(now.getTime() + flowLifetimeMs.challenges),
    },
  );
};

export interface AddressStepInput {
  readonly tenant: Tenant;
  readonly state: string;
  readonly browserBinding: string | undefined;
}

/** What proving the address led to. */
export type AddressVerified =
  /** A new account has the address (verified): the flow is `idp_done`, to be resumed as any upstream login. */
  | { readonly kind: 'signed_in'; readonly flow: LoginFlow }
  /** The address is an existing account's: the flow is a `link` flow asking for proof of that account. */
  | { readonly kind: 'link_needed'; readonly flow: LoginFlow }
  /** Too many wrong codes, or the existing account cannot be used: the flow failed, the app is told. */
  | { readonly kind: 'failed'; readonly flow: LoginFlow };

/**
 * The address step of a hosted upstream login: `pending` finds this browser's flow waiting for an address, `sendCode`
 * mails a one-time code to a typed address (a new one supersedes the last; rate-limited per flow and per address),
 * `verifyCode` checks it (constant time, a bounded number of wrong codes, single use: the flow moves on once).
 * A verified address never links to an account by itself: an address that is an existing account's leads to the
 * `link` flow, which asks for proof of that account.
 */
export const createAddressStep = (
  deps: CoreDeps,
  parts: { accounts: AccountResolver; audit: AuditLog; mailer: Mailer },
) => {
  const find = async (input: AddressStepInput): Promise<{ row: LoginFlowRow; profile: ExternalProfile }> => {
    const now = deps.clock.now();
    const row = requireLiveFlow(await flowsRepo.findByState(deps.db, stateDigest(input.state)), input.tenant.id, now);
    checkBinding(row, input.browserBinding, 'resume');
    if (row.status !== 'at_idp' || row.kind !== 'login' || row.pending_identity_enc === null) throw flowInvalid();
    return { row, profile: JSON.parse(deps.secretBox.open(row.pending_identity_enc)) as ExternalProfile };
  };

  const fail = async (row: LoginFlowRow, code: string): Promise<AddressVerified> => {
    const ended = await flowsRepo.end(deps.db, row.id, 'failed', code, deps.clock.now());
    await deps.kv.delete(codeKey(row.id));
    return { kind: 'failed', flow: toLoginFlow(ended ?? row) };
  };

  return {
    /** This browser's flow waiting for an address. @throws GatehouseError `flow_invalid` */
    pending: async (input: AddressStepInput): Promise<{ flow: LoginFlow; sentTo?: string }> => {
      const { row } = await find(input);
      const raw = await deps.kv.get(codeKey(row.id));
      const sent = raw === undefined ? undefined : (JSON.parse(deps.secretBox.open(raw)) as PendingCode).email;
      return { flow: toLoginFlow(row), ...(sent === undefined ? {} : { sentTo: sent }) };
    },

    /**
     * Mails a code to `email` for this flow.
     * @throws GatehouseError `invalid_request` (not an address), `rate_limited`, `flow_invalid`
     */
    sendCode: async (input: AddressStepInput & { email: string; locale?: string }): Promise<void> => {
      const { row } = await find(input);
      const email = normaliseEmail(input.email);
      if (!isEmailShaped(email)) throw new GatehouseError('invalid_request', 'email: not an email address');
      await spend(deps.kv, 'address_flow', row.id, mfaRateLimits.emailsPerFlow);
      await spend(deps.kv, 'address_email', email, mfaRateLimits.emailsPerUser);
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const pending: PendingCode = { email, digest: codeDigest(row.id, email, code) };
      // Sealed: no address reaches the key-value store in clear.
      await deps.kv.set(codeKey(row.id), deps.secretBox.seal(JSON.stringify(pending)), addressCodeLifetimeSeconds);
      const { t } = messagesFor(input.locale === undefined ? {} : { uiLocales: input.locale });
      await parts.mailer.send({
        to: email,
        subject: t('journey.email_mail_subject'),
        text: t('journey.email_mail_text', { code, minutes: String(addressCodeLifetimeSeconds / 60) }),
      });
    },

    /**
     * Checks the code. A wrong one is refused (`mfa_answer_invalid`) until too many end the flow (`failed`).
     * @throws GatehouseError `mfa_answer_invalid`, `flow_invalid`
     */
    verifyCode: async (input: AddressStepInput & { code: string; ip?: string }): Promise<AddressVerified> => {
      const { row, profile } = await find(input);
      const raw = await deps.kv.get(codeKey(row.id));
      const pending = raw === undefined ? undefined : (JSON.parse(deps.secretBox.open(raw)) as PendingCode);
      const code = input.code.replace(/\s+/g, '');
      const right =
        pending !== undefined &&
        /^\d{6}$/.test(code) &&
        constantTimeEqual(codeDigest(row.id, pending.email, code), pending.digest);
      if (!right || pending === undefined) {
        const wrong = await deps.kv.increment(wrongKey(row.id), flowLifetimeMs.challenges / 1000);
        if (wrong >= maxWrongAnswers) return fail(row, 'access_denied');
        throw new GatehouseError('mfa_answer_invalid', 'the code is wrong or has expired');
      }
      await deps.kv.delete(codeKey(row.id));
      const verified: ExternalProfile = { ...profile, email: pending.email, emailVerified: true };
      const { tenant } = input;
      try {
        const owner = await usersRepo.findByEmail(deps.db, tenant.id, pending.email);
        if (owner !== undefined) {
          // Proving an address is not proving the account that has it: its owner must sign in to link.
          const linking = await beginLink(deps, {
            tenant,
            row,
            profile: verified,
            owner,
            mailAvailable: parts.mailer.available,
          });
          return linking === undefined
            ? fail(row, 'merge_needed')
            : { kind: 'link_needed', flow: toLoginFlow(linking) };
        }
        // Not trusted for linking: an account that took the address meanwhile is never joined (it is kept aside).
        const { resolution, result: moved } = await parts.accounts.resolve(
          { tenant, profile: verified, intent: { kind: 'signup' }, connectionTrusted: false },
          (trx, signedIn) => toIdpDone(deps, trx, row, signedIn),
        );
        if (!isSignedIn(resolution) || moved === undefined) return fail(row, 'access_denied');
        return { kind: 'signed_in', flow: toLoginFlow(moved) };
      } catch (error) {
        if (isGatehouseError(error) && error.code !== 'flow_invalid') return fail(row, error.code);
        throw error;
      }
    },
  };
};

export type AddressStep = ReturnType<typeof createAddressStep>;
