/**
 * What a connector can fail with: a closed union, like `jose`'s `ERR_*` codes. Connectors import nothing from the
 * core; the core translates each code into its own catalogue in one place (`core/login/connectors.ts`).
 */
export type ConnectorErrorCode =
  /** The connection is unusable as configured (unknown kind, bad settings, missing secret, refused override). */
  | 'invalid_config'
  /** The connector does not take this kind of token (an access token where only ID tokens are verified). */
  | 'unsupported_token_type'
  /** The IdP's token, code or assertion failed validation (signature, issuer, expiry, nonce, unknown to the IdP). */
  | 'invalid_token'
  /** The token is valid but was issued to another application. */
  | 'wrong_audience'
  /** A rule of the connection refuses this account (Google Workspace domain). */
  | 'access_denied'
  /** The IdP sent the user back with an error (for example the user declined). */
  | 'idp_error'
  /** The callback's `state` is not the one this login sent. */
  | 'state_mismatch'
  /** The callback lacks what the IdP always sends (`code`). */
  | 'invalid_callback'
  /** The IdP could not be reached, was too slow, or answered nonsense. */
  | 'idp_unavailable'
  /** The IdP refused our own application (credentials, configuration): the operator must act, not the user. */
  | 'idp_refused'
  /** The IdP is rate limiting our application; `retryAfterSeconds` says for how long when it said. */
  | 'rate_limited';

/** The phase of the exchange with the IdP that failed (Kratos's `oidcerr.Step`). */
export type ConnectorStep =
  | 'config'
  | 'discovery'
  | 'authorization'
  | 'token_exchange'
  | 'id_token'
  | 'userinfo'
  | 'token_introspection'
  | 'jwks';

export interface ConnectorErrorOptions {
  readonly cause?: unknown;
  /** Client-facing details: `error` for `idp_error`, `errors` (`{ path, message }[]`) for `invalid_config`. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The IdP's HTTP status, when it answered. */
  readonly upstreamStatus?: number;
  /** The IdP's `Retry-After`, in seconds, for `rate_limited` and `idp_unavailable`. */
  readonly retryAfterSeconds?: number;
}

/** A connector failure: a closed `code`, the `step` it happened at, and a message fit to show for 4xx codes. */
export class ConnectorError extends Error {
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly upstreamStatus: number | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: ConnectorErrorCode,
    readonly step: ConnectorStep,
    message: string,
    options: ConnectorErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnectorError';
    this.details = options.details;
    this.upstreamStatus = options.upstreamStatus;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const isConnectorError = (value: unknown): value is ConnectorError => value instanceof ConnectorError;
