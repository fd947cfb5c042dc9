import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** A `jsonb` column: written as a JSON string or value, read back parsed. */
export type Json<T> = ColumnType<T, T | string, T | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface TenantPolicies {
  /** How an IdP email that belongs to an existing user is treated. */
  readonly linking: 'merge_needed' | 'auto_link_verified';
  /** When a second factor is asked for. */
  readonly mfa: 'off' | 'social' | 'all';
  /** Second factors a user may use, in order of preference. */
  readonly mfaFactors?: readonly ('email' | 'totp' | 'recovery_code')[];
  /** Whether an identity without an email may create an account (EmailMissing otherwise). */
  readonly requireEmail?: boolean;
  readonly accessTokenTtlSeconds?: number;
  readonly idTokenTtlSeconds?: number;
  readonly refreshTokenTtlSeconds?: number;
  /** How recent a sign-in must be for its access token to prove the account when linking an identity (default 300). */
  readonly linkProofMaxAgeSeconds?: number;
  /** Who may create an account, and how (default `both`). */
  readonly signup?: 'off' | 'password' | 'upstream' | 'both';
  /** Whether a mailed one-time code is a first factor (default false). */
  readonly emailCodeSignIn?: boolean;
  /** What the hosted pages look like: name, logo, colour, support link, default locale, providers' order. */
  readonly branding?: StoredBranding & {
    readonly defaultLocale?: string;
    readonly providerOrder?: readonly string[];
  };
}

/** A tenant's or client's branding as stored (validated by the core's branding schema on every write). */
export interface StoredBranding {
  readonly displayName?: string;
  readonly logoUrl?: string;
  readonly primaryColor?: string;
  readonly supportUrl?: string;
}

export interface TenantsTable {
  id: string;
  name: string;
  policies: Json<TenantPolicies>;
  hostnames: Json<string[]>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ClientSettings {
  readonly accessTokenTtlSeconds?: number;
  readonly refreshTokenTtlSeconds?: number;
  /** How long a refresh-token family lasts from its sign-in, however often it rotates. */
  readonly refreshTokenAbsoluteTtlSeconds?: number;
  /** Scopes the client may ask for; any when absent. */
  readonly scopes?: readonly string[];
  /** Post-logout redirect URIs (exact match). */
  readonly postLogoutRedirectUris?: readonly string[];
  /** `RS256` or `ES256`: how the client's ID tokens are signed; RS256 when absent. */
  readonly idTokenSignedResponseAlg?: string;
  /** Origins whose scripts may call the token-side endpoints (CORS), exact match. */
  readonly allowedOrigins?: readonly string[];
  /** `required`: a third-party client, whose scopes the user allows on a consent page; `skip` (default): first party. */
  readonly consent?: 'required' | 'skip';
  /** What this client's hosted pages look like, over the tenant's branding. */
  readonly branding?: StoredBranding;
}

export interface ClientsTable {
  client_id: string;
  tenant_id: string;
  name: string;
  /** SHA-256 of the secret (base64url); null for public clients. */
  secret_digest: string | null;
  public: boolean;
  redirect_uris: Json<string[]>;
  callback_urls: Json<string[]>;
  grant_types: Json<string[]>;
  settings: Json<ClientSettings>;
  created_at: CreatedAt;
  updated_at: Timestamp;
  /** The secret's digest before its last rotation, accepted until `previous_secret_expires_at`. */
  previous_secret_digest: ColumnType<string | null, string | null | undefined, string | null>;
  previous_secret_expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface IdpConnectionsTable {
  tenant_id: string;
  id: string;
  kind: string;
  client_id: string;
  /** The IdP app secret, sealed with the master key. */
  client_secret_enc: string | null;
  scopes: Json<string[] | null>;
  endpoints: Json<Record<string, string> | null>;
  emulator: string | null;
  trust_email: boolean;
  settings: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface UserProfile {
  bio?: string;
  publicData?: Record<string, unknown>;
  protectedData?: Record<string, unknown>;
  privateData?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  picture?: string;
  /**
   * An address a sign-up gave that nobody verified and that another account already has: kept here instead of
   * `email`, so that it claims nothing. Shown back to the user as their address; never used to find, link or mail.
   */
  pendingEmail?: string;
}

export interface UsersTable {
  id: string;
  tenant_id: string;
  /** Normalised (see `core/users/email.ts`); unique per tenant. */
  email: string | null;
  email_verified: boolean;
  password_hash: string | null;
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  profile: Json<UserProfile>;
  status: 'active' | 'disabled';
  created_at: CreatedAt;
  updated_at: Timestamp;
  /** Set by an operator: a password sign-in answers `password_reset_required` until the password is set again. */
  password_reset_required: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface IdentitiesTable {
  id: string;
  tenant_id: string;
  user_id: string;
  /** The connection id. */
  idp: string;
  issuer: string;
  subject: string;
  email: string | null;
  email_verified: boolean;
  raw: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  last_login_at: NullableTimestamp;
}

export interface SigningKeysTable {
  kid: string;
  tenant_id: string;
  alg: string;
  /** next: published, not yet signing; active: signs; retired: published until its tokens expire. */
  state: 'next' | 'active' | 'retired';
  public_jwk: Json<Record<string, unknown>>;
  private_key_enc: string;
  created_at: CreatedAt;
  activated_at: NullableTimestamp;
  retired_at: NullableTimestamp;
}

export interface AuditEventsTable {
  id: Generated<string>;
  tenant_id: string | null;
  type: string;
  outcome: string;
  actor: string | null;
  client_id: string | null;
  idp: string | null;
  user_id: string | null;
  ip: string | null;
  details: Json<Record<string, unknown>>;
  created_at: CreatedAt;
}

/** The parameters of a pending authorization request, as validated at `authorize` (camelCase, stored as jsonb). */
export interface AuthorizationParams {
  readonly redirectUri: string;
  /** Space-separated, as granted. */
  readonly scope: string;
  readonly state?: string;
  readonly nonce?: string;
  /** PKCE S256 challenge. */
  readonly codeChallenge?: string;
  readonly prompt: readonly string[];
  readonly maxAge?: number;
  readonly loginHint?: string;
  readonly idpHint?: string;
  /** OIDC `ui_locales`: the languages the hosted pages should speak, in order of preference. */
  readonly uiLocales?: string;
}

export interface AuthorizationRequestsTable {
  /** Unguessable; appears in the sign-in page URL. */
  id: string;
  tenant_id: string;
  client_id: string;
  /** SHA-256 of the browser-binding cookie set at `authorize`. */
  binding_digest: string;
  params: Json<AuthorizationParams>;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface SessionsTable {
  /** SHA-256 of the session cookie. */
  id_digest: string;
  /** Public session id (ID token `sid`). */
  sid: string;
  tenant_id: string;
  user_id: string;
  auth_time: Timestamp;
  amr: Json<string[]>;
  /** The identity the session was signed in through (null: no upstream identity); ended when it is unlinked. */
  identity_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  expires_at: Timestamp;
  /** The browser's `User-Agent` at sign-in (cut to 512 characters). */
  user_agent: ColumnType<string | null, string | null | undefined, string | null>;
  /** The address the session started from. */
  ip: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the session was last used, written at most every few minutes (null: not since it started). */
  last_seen_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** A grant: started by a code redemption or a password sign-in; its refresh tokens rotate inside it. */
export interface TokenFamiliesTable {
  id: string;
  tenant_id: string;
  client_id: string;
  user_id: string;
  scope: string;
  auth_time: Timestamp;
  amr: Json<string[]>;
  sid: string | null;
  /** The access token issued when the family started (revoked with it). */
  access_jti: string | null;
  access_expires_at: NullableTimestamp;
  /** The identity the grant was obtained through (null: a password, a client); revoked when it is unlinked. */
  identity_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  /** Absolute end: no rotation past it, however recent the refresh token. */
  expires_at: ColumnType<Date, Date | string, Date | string>;
  revoked_at: NullableTimestamp;
}

export interface AuthorizationCodesTable {
  /** SHA-256 of the code. */
  code_digest: string;
  tenant_id: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  scope: string;
  nonce: string | null;
  /** PKCE S256 challenge. */
  code_challenge: string | null;
  auth_time: Timestamp;
  amr: Json<string[]>;
  sid: string | null;
  /** The family its redemption started (set atomically with `consumed_at`). */
  family_id: string | null;
  /** The identity the user signed in through; its family inherits it. */
  identity_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  expires_at: Timestamp;
  consumed_at: NullableTimestamp;
}

export interface RefreshTokensTable {
  /** SHA-256 of the token. */
  token_digest: string;
  family_id: string;
  tenant_id: string;
  /** The access token issued together with this refresh token (revoked with the family). */
  access_jti: string;
  access_expires_at: Timestamp;
  created_at: CreatedAt;
  expires_at: Timestamp;
  /** Set when the token was rotated; presenting it again is reuse (RFC 9700 §4.14.2). */
  consumed_at: NullableTimestamp;
}

/** An access token spent to prove an account when linking an identity to it: each `jti` is accepted once. */
/** A nonce handed to a native app for its provider's ID token to carry (`native_nonces`); spent once. */
export interface NativeNoncesTable {
  /** SHA-256 (hex) of the nonce: the nonce itself is never stored. */
  digest: string;
  tenant_id: string;
  /** The client that asked for it, and the only one that may present a token carrying it. */
  client_id: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
  /** When a sign-in spent it; null while unspent. */
  used_at: NullableTimestamp;
}

/** A provider ID token that signed someone in (`spent_idp_tokens`): refused ever after, until its `exp`. */
export interface SpentIdpTokensTable {
  /** SHA-256 of the token's issuer and `jti`, or of its signed part when it has no `jti`. */
  digest: string;
  tenant_id: string;
  used_at: Timestamp;
  /** The token's own `exp` (with the clock skew allowed); the row is useless after it. */
  expires_at: Timestamp;
}

export interface LinkProofsTable {
  jti: string;
  tenant_id: string;
  /** The client it was issued to and presented by. */
  client_id: string;
  user_id: string;
  used_at: Timestamp;
  /** The token's own `exp`; the row is useless after it. */
  expires_at: Timestamp;
}

export interface RevokedAccessTokensTable {
  jti: string;
  tenant_id: string;
  /** The token's own `exp`; the row is useless after it. */
  expires_at: Timestamp;
  created_at: CreatedAt;
}

/** Where a login flow returns once every factor is answered. */
export type LoginFlowTarget =
  | {
      /** Tokens for an API caller at the end (the caller's surface says which scope and grant label). */
      readonly kind: 'api';
      readonly clientId: string;
      /** Where the caller's browser returns after the IdP, already matched against the client's callback URLs. */
      readonly callbackUrl?: string;
      /** The scope the caller's access token asks for (as far as the client may have it); absent: none. */
      readonly scope?: readonly string[];
      /** The grant type the issued tokens are recorded under (the caller's surface names it). */
      readonly grantType?: string;
    }
  | {
      readonly kind: 'oauth_authorize';
      /** The pending authorization request (`authorization_requests.id`) the login answers. */
      readonly requestId: string;
      readonly clientId: string;
      /** The request's hosted sign-in page: the login continues under it (second factor, hand-over). */
      readonly signInPage: string;
    };

/** A flow's stored steps: answered in order, one choice of each; `name` is the strategy's (`totp`, `email_code`…). */
export interface StoredMfaPackage {
  readonly challenges: readonly {
    readonly mechanisms: readonly { readonly id: string; readonly name: string; readonly partialAddress?: string }[];
  }[];
}

export type LoginBindingKind = 'browser' | 'app';

export interface LoginFlowsTable {
  id: string;
  tenant_id: string;
  /** SHA-256 of the `state` (`{tenant}-{uuid}`): the flow's public handle. */
  state_digest: string;
  /** What the flow is for: `login`, or `link` (an IdP's identity waits for proof of the account it belongs to). */
  kind: ColumnType<'login' | 'link', 'login' | 'link' | undefined, 'login' | 'link'>;
  /** SHA-256 of the caller's handle of its steps (the Security API's `SessionId`), once steps exist. */
  session_digest: string | null;
  status: 'started' | 'at_idp' | 'idp_done' | 'mfa_pending' | 'complete' | 'consumed' | 'failed' | 'cancelled';
  first_factor: 'upstream' | 'password';
  connection_id: string | null;
  /** The name of the callback the IdP must return to (chosen by the surface that started the flow). */
  callback_name: string | null;
  redirect_uri: string | null;
  /** PKCE verifier and nonce, sealed with the master key (the code exchange needs them back). */
  code_verifier_enc: string | null;
  nonce_enc: string | null;
  /** SHA-256 of the flow's binding secret: a browser's cookie, or what the app that started it presents on resuming. */
  binding_digest: string | null;
  /**
   * Who holds the binding secret: `browser` (checked at the IdP callback and after) or `app` (checked when the app
   * resumes; the IdP callback runs in a browser that lacks it). Null for password flows.
   */
  binding_kind: LoginBindingKind | null;
  target: Json<LoginFlowTarget>;
  client_id: string | null;
  user_id: string | null;
  username: string | null;
  amr: Json<string[]>;
  /** The identity the first factor signed in through, once known (null for a password). */
  identity_id: ColumnType<string | null, string | null | undefined, string | null>;
  auth_time: NullableTimestamp;
  mfa_package: Json<StoredMfaPackage | null>;
  mfa_step: ColumnType<number, number | undefined, number>;
  failed_attempts: ColumnType<number, number | undefined, number>;
  /** The error code a failed flow ended with. */
  error: string | null;
  /** `link` flows: the IdP's identity waiting to be linked (JSON), sealed with the master key; null once ended. */
  pending_identity_enc: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the IdP callback claimed the flow (each state is accepted once). */
  callback_at: NullableTimestamp;
  completed_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: Timestamp;
  expires_at: Timestamp;
}

export interface MfaFactorsTable {
  id: string;
  tenant_id: string;
  user_id: string;
  kind: 'totp' | 'recovery_code';
  /** TOTP seed (base32), sealed with the master key. */
  secret_enc: string | null;
  /** Recovery code: SHA-256 of the normalised code. */
  code_digest: string | null;
  /** TOTP: set once the user proved the authenticator works; unconfirmed seeds never count. */
  confirmed_at: NullableTimestamp;
  /** TOTP: the last accepted time step (a code is accepted once). Postgres bigint, read as a string. */
  last_used_step: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  used_at: NullableTimestamp;
  created_at: CreatedAt;
}

export interface MfaChallengesTable {
  id: string;
  tenant_id: string;
  flow_id: string;
  user_id: string;
  mechanism_id: string;
  code_digest: string;
  link_digest: string;
  approved_at: NullableTimestamp;
  consumed_at: NullableTimestamp;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

/** An admin API token: bound to one tenant (or every tenant when `tenant_id` is null) and a set of scopes. */
export interface AdminTokensTable {
  id: string;
  tenant_id: string | null;
  name: string;
  scopes: Json<string[]>;
  /** SHA-256 of the token (base64url); the token itself is shown once and never stored. */
  token_digest: string;
  created_at: CreatedAt;
  revoked_at: NullableTimestamp;
}

/** Every table, by name. Areas that add tables add their interfaces here. */
/** One row (`id` = `master`): proof of the master key the store's secrets are sealed with. */
export interface MasterKeyChecksTable {
  id: string;
  /** HMAC-SHA256 of a fixed label under the master key (base64url): reveals nothing of the key. */
  check_value: string;
  created_at: CreatedAt;
}

/** The scopes a user allowed a third-party client (`consent_grants`). */
export interface ConsentGrantsTable {
  user_id: string;
  client_id: string;
  tenant_id: string;
  /** Space-separated, every scope allowed so far. */
  scope: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** A mailed code and link of a self-service flow: bound to one address, single use, short-lived. */
export interface SelfServiceFlowsTable {
  id: string;
  tenant_id: string;
  kind: 'verification' | 'recovery' | 'code_sign_in';
  /** The normalised address the code was mailed to: it proves that address and no other. */
  email: string;
  /** The account of the address, when one exists (a code sign-in may create it). */
  user_id: string | null;
  /** SHA-256 of the flow id, the address and the six-digit code. */
  code_digest: string;
  /** SHA-256 of the link's token. */
  link_digest: string;
  status: ColumnType<'pending' | 'complete' | 'failed', 'pending' | undefined, 'pending' | 'complete' | 'failed'>;
  failed_attempts: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  expires_at: Timestamp;
  completed_at: NullableTimestamp;
}

/** A change of a user's email waiting for the code mailed to the new address (one per user, single use). */
export interface EmailChangesTable {
  user_id: string;
  tenant_id: string;
  /** The new address, normalised. */
  email: string;
  /** SHA-256 of the one-time code. */
  code_digest: string;
  /** Wrong codes entered so far; the change ends after five. */
  attempts: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface Database {
  tenants: TenantsTable;
  clients: ClientsTable;
  idp_connections: IdpConnectionsTable;
  users: UsersTable;
  identities: IdentitiesTable;
  signing_keys: SigningKeysTable;
  audit_events: AuditEventsTable;
  authorization_requests: AuthorizationRequestsTable;
  sessions: SessionsTable;
  token_families: TokenFamiliesTable;
  authorization_codes: AuthorizationCodesTable;
  refresh_tokens: RefreshTokensTable;
  revoked_access_tokens: RevokedAccessTokensTable;
  link_proofs: LinkProofsTable;
  native_nonces: NativeNoncesTable;
  spent_idp_tokens: SpentIdpTokensTable;
  login_flows: LoginFlowsTable;
  mfa_factors: MfaFactorsTable;
  mfa_challenges: MfaChallengesTable;
  master_key_checks: MasterKeyChecksTable;
  admin_tokens: AdminTokensTable;
  consent_grants: ConsentGrantsTable;
  self_service_flows: SelfServiceFlowsTable;
  email_changes: EmailChangesTable;
}

export type TenantRow = Selectable<TenantsTable>;
export type ClientRow = Selectable<ClientsTable>;
export type IdpConnectionRow = Selectable<IdpConnectionsTable>;
export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type IdentityRow = Selectable<IdentitiesTable>;
export type SigningKeyRow = Selectable<SigningKeysTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type AuthorizationRequestRow = Selectable<AuthorizationRequestsTable>;
export type SessionRow = Selectable<SessionsTable>;
export type TokenFamilyRow = Selectable<TokenFamiliesTable>;
export type AuthorizationCodeRow = Selectable<AuthorizationCodesTable>;
export type RefreshTokenRow = Selectable<RefreshTokensTable>;
export type LoginFlowRow = Selectable<LoginFlowsTable>;
export type MfaFactorRow = Selectable<MfaFactorsTable>;
export type MfaChallengeRow = Selectable<MfaChallengesTable>;
export type SelfServiceFlowRow = Selectable<SelfServiceFlowsTable>;
export type AdminTokenRow = Selectable<AdminTokensTable>;
