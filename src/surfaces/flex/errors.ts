import { randomUUID } from 'node:crypto';
import { type ErrorCode, errorCatalog, type GatehouseError } from '../../core/errors.js';
import { Uuid, type WireValue } from './transit.js';

/** An error of the Marketplace API: Flex's `{errors: [{id, status, code, title, details?}]}` envelope. */
interface MarketplaceError {
  readonly status: number;
  readonly code: string;
  readonly title: string;
}

const invalidParams = { status: 400, code: 'validation-invalid-params', title: 'Invalid parameters' } as const;
const badRequest = { status: 400, code: 'bad-request', title: 'Bad request' } as const;
const unauthorized = { status: 401, code: 'unauthorized', title: 'Unauthorized' } as const;
const idpTokenInvalid = {
  status: 401,
  code: 'idp-token-invalid',
  title: 'The identity provider token is invalid',
} as const;
const forbidden = { status: 403, code: 'forbidden', title: 'Forbidden' } as const;
const conflict = { status: 409, code: 'conflict', title: 'Conflict' } as const;
const emailTaken = { status: 409, code: 'email-taken', title: 'Email is already taken' } as const;

/**
 * Every Gatehouse error as the Marketplace API renders it. The codes a Flex client branches on are Flex's own
 * (`email-taken`, `validation-invalid-params`, `forbidden`, `not-found`); every 401 lets the SDK refresh and retry.
 */
const marketplaceErrors = {
  invalid_request: invalidParams,
  invalid_client: unauthorized,
  invalid_grant: unauthorized,
  unauthorized_client: forbidden,
  unsupported_grant_type: badRequest,
  unsupported_response_type: badRequest,
  // Only a connector raises this here: the token is of a kind the identity provider connection cannot verify.
  unsupported_token_type: idpTokenInvalid,
  invalid_scope: forbidden,
  invalid_token: { status: 401, code: 'auth-invalid-access-token', title: 'Invalid access token' },
  insufficient_scope: forbidden,
  access_denied: forbidden,
  login_required: unauthorized,
  consent_required: forbidden,
  forbidden,
  unauthorized,
  not_found: { status: 404, code: 'not-found', title: 'Not found' },
  conflict,
  email_taken: emailTaken,
  payload_too_large: { status: 413, code: 'request-entity-too-large', title: 'Request entity too large' },
  unsupported_media_type: { status: 415, code: 'unsupported-media-type', title: 'Unsupported media type' },
  rate_limited: { status: 429, code: 'too-many-requests', title: 'Too many requests' },
  idp_token_invalid: idpTokenInvalid,
  idp_wrong_audience: idpTokenInvalid,
  idp_email_missing: invalidParams,
  idp_error: idpTokenInvalid,
  identity_already_linked: {
    status: 409,
    code: 'conflict',
    title: 'The identity provider account is already linked to a user',
  },
  last_login_method: conflict,
  merge_needed: emailTaken,
  // Flex has no second factor: a tenant that requires one cannot sign in here.
  mfa_required: forbidden,
  mfa_answer_invalid: badRequest,
  step_up_required: forbidden,
  flow_invalid: badRequest,
  password_reset_required: forbidden,
  user_disabled: { status: 403, code: 'forbidden', title: 'The user is banned' },
  idp_unavailable: { status: 502, code: 'idp-unavailable', title: 'The identity provider is unavailable' },
  storage_unavailable: { status: 503, code: 'service-unavailable', title: 'Service unavailable' },
  server_error: { status: 500, code: 'internal-server-error', title: 'Internal server error' },
} as const satisfies Record<ErrorCode, MarketplaceError>;

/** The status and body of a Marketplace API error (5xx carry no details). */
export const marketplaceError = (error: GatehouseError): { status: number; body: WireValue } => {
  const rendered: MarketplaceError = marketplaceErrors[error.code];
  const details = error.expose ? { message: error.message, ...(error.details ?? {}) } : undefined;
  return {
    status: rendered.status,
    body: {
      errors: [
        {
          id: new Uuid(randomUUID()),
          status: rendered.status,
          code: rendered.code,
          title: rendered.title,
          ...(details === undefined ? {} : { details }),
        },
      ],
    },
  };
};

/** An error of the Auth API: RFC 6749 §5.2 JSON. */
interface AuthError {
  readonly status: number;
  readonly error: string;
}

const grantRefused = { status: 401, error: 'invalid_grant' } as const;
const invalidRequest = { status: 400, error: 'invalid_request' } as const;
const unavailable = { status: 503, error: 'temporarily_unavailable' } as const;

/**
 * Every Gatehouse error as the Auth API renders it. Flex answers 401 to any refused credential, grant or IdP token
 * (RFC 6749 would say 400 for `invalid_grant`); the SDK relies on it: a 401 on refresh is what makes `logout` clear
 * its token store.
 */
const authErrors = {
  invalid_request: invalidRequest,
  invalid_client: { status: 401, error: 'invalid_client' },
  invalid_grant: grantRefused,
  unauthorized_client: { status: 400, error: 'unauthorized_client' },
  unsupported_grant_type: { status: 400, error: 'unsupported_grant_type' },
  unsupported_response_type: invalidRequest,
  unsupported_token_type: grantRefused,
  invalid_scope: { status: 400, error: 'invalid_scope' },
  // RFC 6750 §3.1, for the bearer token `revoke` requires.
  invalid_token: { status: 401, error: 'invalid_token' },
  insufficient_scope: { status: 403, error: 'insufficient_scope' },
  access_denied: { status: 403, error: 'access_denied' },
  login_required: grantRefused,
  consent_required: grantRefused,
  forbidden: { status: 403, error: 'access_denied' },
  unauthorized: { status: 401, error: 'invalid_token' },
  not_found: { status: 404, error: 'invalid_request' },
  conflict: { status: 409, error: 'invalid_request' },
  email_taken: grantRefused,
  payload_too_large: { status: 413, error: 'invalid_request' },
  unsupported_media_type: { status: 415, error: 'invalid_request' },
  rate_limited: { status: 429, error: 'temporarily_unavailable' },
  idp_token_invalid: grantRefused,
  idp_wrong_audience: grantRefused,
  idp_email_missing: grantRefused,
  idp_error: grantRefused,
  identity_already_linked: grantRefused,
  last_login_method: { status: 409, error: 'invalid_request' },
  merge_needed: grantRefused,
  mfa_required: grantRefused,
  mfa_answer_invalid: grantRefused,
  step_up_required: grantRefused,
  flow_invalid: grantRefused,
  user_disabled: grantRefused,
  password_reset_required: grantRefused,
  idp_unavailable: { status: 502, error: 'temporarily_unavailable' },
  storage_unavailable: unavailable,
  server_error: { status: 500, error: 'server_error' },
} as const satisfies Record<ErrorCode, AuthError>;

/** The status, body and headers of an Auth API error. */
export const authError = (
  error: GatehouseError,
): { status: number; body: { error: string; error_description: string }; headers: Record<string, string> } => {
  const rendered: AuthError = authErrors[error.code];
  return {
    status: rendered.status,
    body: {
      error: rendered.error,
      error_description: error.expose ? error.message : errorCatalog.server_error.summary,
    },
    // RFC 6750 §3: a refused bearer token is answered with a challenge.
    headers: rendered.error === 'invalid_token' ? { 'www-authenticate': 'Bearer error="invalid_token"' } : {},
  };
};
