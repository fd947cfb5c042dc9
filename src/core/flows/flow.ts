import { randomUUID } from 'node:crypto';
import { constantTimeEqual, sha256 } from '../../lib/crypto.js';
import type {
  LoginBindingKind,
  LoginFlowRow,
  LoginFlowsTable,
  LoginFlowTarget,
  StoredMfaPackage,
} from '../../store/schema.js';
import { GatehouseError } from '../errors.js';

/**
 * A flow: one person's journey in progress (its kind says which: `login` today; `registration`, `recovery`,
 * `verification`, `settings` and `link` are further kinds in `kinds/`), stored (never in process memory) so that any
 * instance can continue it. Its life, the same for every kind:
 *
 * ```
 * started ─► at_idp ─► idp_done ─┬─► mfa_pending ─► complete ─► consumed (oauth_authorize only)
 *    │                           └──────────────────► complete
 *    └─ (password) ── first step answered ───────────► mfa_pending | complete
 * any unfinished state ─► failed | cancelled
 * ```
 *
 * `at_idp`/`idp_done`: the first strategy was a redirect (`upstream`) and came back. `mfa_pending`: the flow waits for
 * its steps (the strategies its kind still needs, at a higher assurance level). `complete`: the kind's completion ran.
 *
 * Every transition is one conditional UPDATE (`flowsRepo.transition`), so it happens at most once, and only before the
 * flow expires. Nothing that grants access (tokens, a code) exists before `complete`.
 */
export type FlowStatus = LoginFlowsTable['status'];

/** The kinds of flow (`kinds/index.ts` lists each one's definition). */
export type FlowKind = LoginFlowRow['kind'];

/**
 * Where a finished login goes: an API caller that started it (tokens, with the scope and grant label its surface
 * chose), or the OAuth authorization request it answers.
 */
export type LoginTarget = LoginFlowTarget;

/** A flow, as use-cases and surfaces see it. Secrets (verifier, nonce, digests) stay in the row. */
export interface LoginFlow {
  readonly id: string;
  readonly kind: FlowKind;
  readonly tenantId: string;
  readonly status: FlowStatus;
  readonly firstFactor: 'upstream' | 'password';
  readonly connectionId: string | null;
  readonly target: LoginTarget;
  readonly userId: string | null;
  /** The user's email (or the name typed at a password sign-in). */
  readonly username: string | null;
  readonly amr: readonly string[];
  /** The upstream identity the first factor signed in through, once known. */
  readonly identityId: string | null;
  readonly authTime: Date | null;
  readonly mfaStep: number;
  readonly failedAttempts: number;
  readonly error: string | null;
  readonly expiresAt: Date;
}

export const toLoginFlow = (row: LoginFlowRow): LoginFlow => ({
  id: row.id,
  kind: row.kind,
  tenantId: row.tenant_id,
  status: row.status,
  firstFactor: row.first_factor,
  connectionId: row.connection_id,
  target: row.target,
  userId: row.user_id,
  username: row.username,
  amr: row.amr,
  identityId: row.identity_id,
  authTime: row.auth_time,
  mfaStep: row.mfa_step,
  failedAttempts: row.failed_attempts,
  error: row.error,
  expiresAt: row.expires_at,
});

/** How long each stage may take before the flow expires. */
export const flowLifetimeMs = {
  /** From the redirect to the IdP until its callback. */
  atIdp: 10 * 60 * 1000,
  /** From the callback until the caller resumes (an API caller) or the browser continues. */
  resume: 5 * 60 * 1000,
  /** Answering the steps; also a password sign-in from its start. */
  challenges: 10 * 60 * 1000,
  /** A finished OAuth login until the authorization request takes it. */
  handOver: 5 * 60 * 1000,
} as const;

const uuidTail = /^(.+)-([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$/;

/**
 * A new flow `state`: `{tenant}-{random UUID}`, 122 random bits. It is the flow's public handle: sent to the IdP, and
 * handed to whoever continues the flow. Only its SHA-256 is stored.
 */
export const newFlowState = (tenantId: string): string => `${tenantId}-${randomUUID()}`;

/** The tenant a state names, or undefined when it does not have the shape of one. */
export const tenantOfState = (state: string): string | undefined => {
  if (state.length > 200) return undefined;
  return uuidTail.exec(state)?.[1];
};

export const stateDigest = (state: string): string => sha256(state);

/**
 * Where a binding is checked: at the IdP callback (only a browser binding: an app's callback runs in a browser that
 * lacks its secret), or when the login continues after it (every binding).
 */
export type BindingCheckpoint = 'callback' | 'resume';

/**
 * The binding secret presented must be the one the flow was started with: the browser's cookie, or what the app that
 * started it presents on resuming. An upstream flow always has one, so a callback completed in another browser cannot
 * be resumed there (login CSRF).
 * @throws GatehouseError `flow_invalid`
 */
export const checkBinding = (row: LoginFlowRow, presented: string | undefined, at: BindingCheckpoint): void => {
  if (row.binding_digest === null) {
    if (row.first_factor === 'upstream')
      throw new GatehouseError('flow_invalid', 'this login is not bound to its starter');
    return;
  }
  if (at === 'callback' && row.binding_kind === 'app') return;
  if (presented === undefined || !constantTimeEqual(sha256(presented), row.binding_digest)) {
    throw new GatehouseError(
      'flow_invalid',
      row.binding_kind === 'app'
        ? 'this login was started by another app instance'
        : 'this login was started in another browser',
    );
  }
};

/** The error every unknown, expired, replayed or foreign flow reference gets: the same, so none can be told apart. */
export const flowInvalid = () =>
  new GatehouseError('flow_invalid', 'the login session is unknown, expired or already used');

/** Loads a flow by its state, for `tenantId`, unexpired. @throws GatehouseError `flow_invalid` */
export const requireLiveFlow = (row: LoginFlowRow | undefined, tenantId: string, now: Date): LoginFlowRow => {
  if (row === undefined || row.tenant_id !== tenantId || row.expires_at <= now) throw flowInvalid();
  return row;
};

export type { LoginBindingKind, StoredMfaPackage };
