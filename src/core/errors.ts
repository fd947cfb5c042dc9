import type { ConnectorStep } from '../connectors/errors.js';
/**
 * Every stable error Gatehouse raises. Each surface renders every code (see `surfaces/* /errors.ts`, checked by the
 * compiler through `satisfies Record<ErrorCode, …>`); `docs/errors.md` is generated from this catalog.
 */
export const errorCatalog = {
  invalid_request: { status: 400, summary: 'A parameter is missing, repeated, of the wrong type or malformed.' },
  invalid_client: { status: 401, summary: 'Client authentication failed (unknown client, wrong secret, or no auth).' },
  invalid_grant: {
    status: 400,
    summary: 'The code, refresh token, assertion or credentials are invalid, expired, revoked or not yours.',
  },
  unauthorized_client: { status: 400, summary: 'The client is not allowed to use this grant type.' },
  unsupported_grant_type: { status: 400, summary: 'The grant type is not supported by this endpoint.' },
  unsupported_response_type: { status: 400, summary: 'Only `response_type=code` is supported.' },
  unsupported_token_type: { status: 400, summary: 'This connector or endpoint cannot handle that kind of token.' },
  invalid_scope: { status: 400, summary: 'The requested scope is invalid, unknown or exceeds what was granted.' },
  invalid_token: {
    status: 401,
    summary: 'The access token is missing, malformed, expired, revoked or not for this tenant.',
  },
  insufficient_scope: { status: 403, summary: 'The access token does not carry the scope this call needs.' },
  access_denied: { status: 403, summary: 'The user or the identity provider declined the request.' },
  login_required: { status: 400, summary: '`prompt=none` was requested but the user has no session.' },
  consent_required: {
    status: 400,
    summary: '`prompt=none` was requested but the user has not allowed this third-party client these scopes.',
  },
  forbidden: { status: 403, summary: 'The caller is authenticated but not allowed to do this.' },
  unauthorized: { status: 401, summary: 'Authentication is required (admin token or bearer token missing or wrong).' },
  not_found: { status: 404, summary: 'The tenant, client, connection, user or resource does not exist.' },
  conflict: { status: 409, summary: 'The resource already exists or was changed concurrently.' },
  email_taken: { status: 409, summary: 'The email address belongs to another user of this tenant.' },
  payload_too_large: { status: 413, summary: 'The request body is larger than allowed.' },
  unsupported_media_type: {
    status: 415,
    summary: 'The request body has a content type this endpoint does not accept.',
  },
  rate_limited: { status: 429, summary: 'Too many attempts; retry after the interval given.' },
  idp_token_invalid: { status: 401, summary: 'The identity provider token failed validation.' },
  idp_wrong_audience: { status: 401, summary: 'The identity provider token was issued to another application.' },
  idp_email_missing: { status: 400, summary: 'The identity provider returned no email and one is required.' },
  idp_error: { status: 400, summary: 'The identity provider reported an error (for example the user declined).' },
  identity_already_linked: { status: 409, summary: 'That upstream identity belongs to another user.' },
  last_login_method: { status: 409, summary: 'Removing this would leave the user no way to sign in.' },
  merge_needed: { status: 409, summary: 'The email belongs to an existing user; the account must be linked first.' },
  mfa_required: { status: 401, summary: 'A second factor must be answered before tokens are issued.' },
  mfa_answer_invalid: { status: 400, summary: 'The second-factor answer is wrong or expired.' },
  step_up_required: {
    status: 401,
    summary:
      'This change needs a recent sign-in and, when the user has a second factor, that factor (or a code of it now).',
  },
  flow_invalid: { status: 400, summary: 'The login flow or its state is unknown, expired, already used or not yours.' },
  user_disabled: { status: 403, summary: 'The user account is disabled.' },
  password_reset_required: {
    status: 403,
    summary: 'An administrator asked this user to set a new password before signing in with one again.',
  },
  idp_unavailable: { status: 502, summary: 'The identity provider could not be reached or answered badly.' },
  storage_unavailable: { status: 503, summary: 'The database or cache is unreachable.' },
  server_error: { status: 500, summary: 'An unexpected error; logged with the request id.' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export const errorCodes = Object.keys(errorCatalog) as ErrorCode[];

export interface GatehouseErrorOptions {
  readonly cause?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * A client or upstream error with a stable code. 4xx descriptions are shown to the client; 5xx are rendered
 * generically by every surface and logged in full.
 */
export class GatehouseError extends Error {
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    readonly code: ErrorCode,
    readonly description?: string,
    options?: GatehouseErrorOptions,
  ) {
    super(
      description ?? errorCatalog[code].summary,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'GatehouseError';
    this.details = options?.details;
  }

  get status(): number {
    return errorCatalog[this.code].status;
  }

  /** Client-facing description allowed (4xx); 5xx are rendered generically and logged in full. */
  get expose(): boolean {
    return this.status < 500;
  }
}

/** The phase of an upstream exchange that failed: a connector's steps, but its own configuration. */
export type UpstreamStep = Exclude<ConnectorStep, 'config'>;

/** An IdP failed us (not the client): unreachable, slow, or answering nonsense. Rendered as 502. */
export class UpstreamError extends GatehouseError {
  readonly upstreamStatus: number | undefined;

  constructor(
    readonly connectorId: string,
    readonly step: UpstreamStep,
    description: string,
    options?: GatehouseErrorOptions & { upstreamStatus?: number },
  ) {
    super('idp_unavailable', description, options);
    this.name = 'UpstreamError';
    this.upstreamStatus = options?.upstreamStatus;
  }
}

/** A wrong process configuration, raised at start-up; the message names the setting. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const isGatehouseError = (value: unknown): value is GatehouseError => value instanceof GatehouseError;

/** Exhaustiveness guard for `switch` over unions. */
export const assertNever = (value: never): never => {
  throw new TypeError(`unexpected value: ${JSON.stringify(value)}`);
};
