import type { KeyValueStore } from '../kv/kv.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';

/**
 * A tenant's configured identity-provider connection, decrypted, as the store hands it to the connector factory.
 * Secrets (`clientSecret`) are plaintext here only; they are encrypted at rest.
 */
export interface ConnectionConfig {
  /** Tenant-unique id chosen by the admin, e.g. "facebook" or "acme-okta". */
  readonly id: string;
  /** Registry key of the implementation (`ConnectorType`). */
  readonly kind: string;
  /** The app's client id at the provider (Facebook app id, Google OAuth client id, …). */
  readonly clientId: string;
  /** The app's secret (Apple: the .p8 private key in PEM). */
  readonly clientSecret?: string;
  /** Scopes to ask for; each connector has its defaults. */
  readonly scopes?: readonly string[];
  /**
   * Overrides of the provider's URLs, by name (see each connector): GitHub Enterprise Server, Entra External ID,
   * sovereign clouds. https URLs are honoured everywhere; plain http only where insecure upstreams are allowed.
   */
  readonly endpoints?: Readonly<Record<string, string>>;
  /** Base URL of the local IdP emulator: points every endpoint at it. Development/test only. */
  readonly emulator?: string;
  /** Whether emails from this connection count as verified where the provider itself does not say. */
  readonly trustEmail: boolean;
  /** Kind-specific, non-secret settings (Microsoft `tenant`, Apple `teamId`/`keyId`, OIDC `issuer`, extra `audiences`). */
  readonly settings: Readonly<Record<string, unknown>>;
}

/** Everything a connector may touch. No globals: tests pass loopback servers through `fetch`. */
export interface ConnectorDeps {
  readonly fetch: typeof globalThis.fetch;
  readonly clock: Clock;
  /** Shared cache for discovery documents and JWKS (per instance or fleet-wide). */
  readonly cache: KeyValueStore;
  readonly log: Logger;
  /** Upper bound for any one outbound call, in milliseconds. */
  readonly timeoutMs: number;
  /** True in development/test or with the explicit opt-in: the `emulator` and plain-http `endpoints` are honoured. */
  readonly allowInsecureUpstreams: boolean;
}

/** Generated and stored by core before the redirect; a connector never invents these. */
export interface UpstreamRequest {
  /** Gatehouse's callback URL registered at the provider. */
  readonly redirectUri: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly scopes?: readonly string[];
  readonly loginHint?: string;
}

/** The IdP's callback parameters, from the query string or a `form_post` body (Apple). */
export interface UpstreamCallback {
  readonly params: URLSearchParams;
}

/** A token a native client obtained from the provider by itself and hands to Gatehouse. */
export interface PresentedToken {
  readonly kind: 'id_token' | 'access_token';
  readonly value: string;
  /** Expected `nonce` claim, when the client bound one. */
  readonly nonce?: string;
  /**
   * The provider app the caller says the token was issued to (Flex `idp_client_id`). It must be the connection's
   * `clientId` or one of its configured `audiences`; the token itself must agree.
   */
  readonly clientId?: string;
}

/** The one shape the rest of Gatehouse trusts, whatever the IdP. */
export interface ExternalProfile {
  /** The connection id that verified it. */
  readonly idp: string;
  /** The connector kind (`facebook`, `google`, …). */
  readonly kind: string;
  /** Namespace of `subject`; (tenant, idp, subject) is an identity's unique key. */
  readonly issuer: string;
  /** The IdP's immutable user id (`sub`, Facebook/GitHub numeric id, Microsoft `tid:oid`); never an email. */
  readonly subject: string;
  /**
   * Keys this same person was stored under before (Microsoft's pairwise `sub`, before `tid:oid`): an identity found
   * under one of them is re-keyed to `subject` on this sign-in, in the same transaction, instead of creating another.
   */
  readonly formerSubjects?: readonly string[];
  readonly email?: string;
  /** True only when the IdP asserts it (or the connection is configured to trust its emails). Linking requires it. */
  readonly emailVerified: boolean;
  readonly givenName?: string;
  readonly familyName?: string;
  readonly displayName?: string;
  readonly picture?: string;
  /** Upstream authentication methods (OIDC `amr`), when reported. */
  readonly amr?: readonly string[];
  /** Claims or profile exactly as received, for audit and claim mapping; never used as identity. */
  readonly raw: Readonly<Record<string, unknown>>;
  /** What binds a presented ID token to one use (`verifyToken` of an ID token only). */
  readonly binding?: TokenBinding;
}

/**
 * How a native client's ID token is held to a single use. The core spends the token's nonce, when it carries one the
 * service issued, or else the token itself, when the sign-in issues something.
 */
export interface TokenBinding {
  /** SHA-256 (hex) of the nonce the service issued, as this provider carries it; absent when the token has none. */
  readonly nonceDigest?: string;
  /** Whether the connection requires a service-issued nonce (`settings.requireNonce`). */
  readonly nonceRequired: boolean;
  /** The token's single-use key: SHA-256 of its issuer and `jti`, or of its signed part when it has no `jti`. */
  readonly replayKey: string;
  /** The token's `exp`, epoch seconds. */
  readonly expiresAt: number;
}

/** An upstream identity provider, configured for one tenant. */
export interface Connector {
  readonly id: string;
  readonly kind: string;
  readonly issuer: string;
  readonly displayName: string;
  /** How the provider returns to the callback (`form_post` for Apple). */
  readonly responseMode: 'query' | 'form_post';

  /** Redirect flow, step 1: the URL to send the browser to (state, nonce, PKCE where the provider supports it). */
  authorizationUrl(request: UpstreamRequest): Promise<URL>;

  /**
   * Redirect flow, step 2: validates the callback against the request it answers (code exchange, ID token with
   * nonce) and returns who signed in.
   * @throws ConnectorError `idp_error` (the user declined upstream: `error=access_denied`), `state_mismatch`,
   *   `invalid_token`, `wrong_audience`; `idp_unavailable`, `idp_refused` or `rate_limited` when the IdP is
   *   unreachable, slow, answers nonsense, refuses our application or rate limits it (each tagged with its `step`).
   */
  completeAuthorization(callback: UpstreamCallback, request: UpstreamRequest): Promise<ExternalProfile>;

  /**
   * Token-in flows (Flex `auth_with_idp`, STS `assertion`, RFC 8693 `subject_token`): fully validates a token the
   * client obtained itself: signature or introspection, issuer, audience / app binding, expiry, and `nonce` when given.
   * @throws ConnectorError `invalid_token`, `wrong_audience`, `unsupported_token_type`, `access_denied`;
   *   `idp_unavailable`, `idp_refused`, `rate_limited`
   */
  verifyToken(token: PresentedToken): Promise<ExternalProfile>;
}
