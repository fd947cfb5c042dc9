import type { FastifyReply } from 'fastify';
import { type ErrorCode, errorCatalog, GatehouseError } from '../../core/errors.js';
import { retryAfterOf } from '../../core/rate-limit/rate-limit.js';

/**
 * The error names of RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1, OIDC Core §3.1.2.6 and RFC 9470 §3.
 */
export type OAuthErrorName =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'unsupported_token_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'login_required'
  | 'interaction_required'
  | 'consent_required'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'insufficient_user_authentication';

/**
 * OIDC Core §6.1 and §6.2: an authorization request passed by value (`request`) or by reference (`request_uri`), which
 * this server does not support. An `invalid_request` everywhere else; the authorization response names it exactly.
 */
export class RequestObjectNotSupported extends GatehouseError {
  constructor(readonly parameter: 'request' | 'request_uri') {
    super('invalid_request', `the ${parameter} parameter is not supported`);
  }
}

/**
 * Every Gatehouse error code as this surface renders it: the RFC name and the HTTP status. RFC 6749 §5.2 answers 400
 * unless it says otherwise (401 for `invalid_client`); errors that are not the client's protocol mistake keep the
 * status that says what happened (404 unknown tenant, 413, 415, 429, 5xx).
 */
export const oauthErrors = {
  invalid_request: ['invalid_request', 400],
  invalid_client: ['invalid_client', 401],
  invalid_grant: ['invalid_grant', 400],
  unauthorized_client: ['unauthorized_client', 400],
  unsupported_grant_type: ['unsupported_grant_type', 400],
  unsupported_response_type: ['unsupported_response_type', 400],
  unsupported_token_type: ['unsupported_token_type', 400],
  invalid_scope: ['invalid_scope', 400],
  // RFC 6750 §3.1.
  invalid_token: ['invalid_token', 401],
  insufficient_scope: ['insufficient_scope', 403],
  access_denied: ['access_denied', 403],
  // OIDC Core §3.1.2.6.
  login_required: ['login_required', 400],
  consent_required: ['consent_required', 400],
  // A grant that cannot run a second factor (password, token exchange, STS) is refused as an invalid grant; the
  // authorization endpoint says `interaction_required` instead (see `authorizationErrorName`).
  mfa_required: ['invalid_grant', 400],
  forbidden: ['access_denied', 403],
  unauthorized: ['invalid_token', 401],
  not_found: ['invalid_request', 404],
  conflict: ['invalid_request', 409],
  email_taken: ['invalid_request', 409],
  payload_too_large: ['invalid_request', 413],
  unsupported_media_type: ['invalid_request', 415],
  // RFC 6749 has no name for "slow down"; the status and Retry-After say it.
  rate_limited: ['temporarily_unavailable', 429],
  // An upstream identity that cannot be used is the grant's fault, not the client's.
  idp_token_invalid: ['invalid_grant', 400],
  idp_wrong_audience: ['invalid_grant', 400],
  idp_email_missing: ['invalid_grant', 400],
  idp_error: ['access_denied', 403],
  identity_already_linked: ['invalid_grant', 400],
  last_login_method: ['invalid_request', 409],
  merge_needed: ['invalid_grant', 400],
  mfa_answer_invalid: ['invalid_grant', 400],
  // RFC 9470 §3: the token's authentication is too old or too weak for this call.
  step_up_required: ['insufficient_user_authentication', 401],
  flow_invalid: ['invalid_request', 400],
  user_disabled: ['invalid_grant', 400],
  password_reset_required: ['invalid_grant', 400],
  // §5.2 has no name for an outage; §4.1.2.1's `temporarily_unavailable` is reused, sent with 502/503.
  idp_unavailable: ['temporarily_unavailable', 502],
  storage_unavailable: ['temporarily_unavailable', 503],
  server_error: ['server_error', 500],
} as const satisfies Record<ErrorCode, readonly [OAuthErrorName, number]>;

/**
 * The `error` of an authorization response (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6): a second factor the user must
 * answer is `interaction_required` there, not a token endpoint's `invalid_grant`; a request object is
 * `request_not_supported` or `request_uri_not_supported`.
 */
export const authorizationErrorName = (error: GatehouseError): OAuthErrorName => {
  if (error instanceof RequestObjectNotSupported) return `${error.parameter}_not_supported`;
  if (error.code === 'mfa_required') return 'interaction_required';
  const name = oauthErrors[error.code][0];
  return authorizationResponseNames.has(name) ? name : (authorizationFallbacks[name] ?? 'server_error');
};

/** The names an authorization response may carry (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6, §6). */
const authorizationResponseNames: ReadonlySet<OAuthErrorName> = new Set<OAuthErrorName>([
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  'login_required',
  'interaction_required',
  'consent_required',
  'request_not_supported',
  'request_uri_not_supported',
]);

/**
 * A token endpoint's name has no place in an authorization response: an identity, account or upstream token that
 * cannot be used (`invalid_grant`: a disabled account, a declined link, an IdP's bad answer) is the user's access
 * being refused there.
 */
const authorizationFallbacks: Partial<Record<OAuthErrorName, OAuthErrorName>> = {
  invalid_grant: 'access_denied',
  invalid_token: 'access_denied',
  insufficient_scope: 'access_denied',
  insufficient_user_authentication: 'interaction_required',
  invalid_client: 'unauthorized_client',
  unsupported_grant_type: 'invalid_request',
  unsupported_token_type: 'invalid_request',
};

/** The RFC 6749 JSON body of an error: 5xx say only the catalog summary (details are logged, not shown). */
export const oauthErrorBody = (error: GatehouseError): { error: OAuthErrorName; error_description: string } => ({
  error: oauthErrors[error.code][0],
  error_description: error.expose ? error.message : errorCatalog[error.code].summary,
});

/** `"` and `\` cannot appear in a quoted-string unescaped (RFC 9110 §5.6.4); descriptions are ours, but be safe. */
const quoted = (value: string) => `"${value.replace(/["\\]/g, '')}"`;

export interface SendOAuthErrorOptions {
  /** RFC 6750 §3: errors of a bearer-protected resource go in `WWW-Authenticate: Bearer`. */
  readonly bearer?: boolean;
  /** The realm of `WWW-Authenticate` (the tenant's issuer). */
  readonly realm?: string;
}

/** Sends an error as RFC 6749 §5.2 JSON, with `WWW-Authenticate` where RFC 6749 §5.2 and RFC 6750 §3 want one. */
export const sendOAuthError = (reply: FastifyReply, error: GatehouseError, options: SendOAuthErrorOptions = {}) => {
  const [name, status] = oauthErrors[error.code];
  const body = oauthErrorBody(error);
  const realm = `realm=${quoted(options.realm ?? 'gatehouse')}`;
  if (options.bearer === true && error.code === 'unauthorized') {
    // RFC 6750 §3.1: a request without credentials gets the challenge without error details.
    reply.header('www-authenticate', `Bearer ${realm}`);
  } else if (options.bearer === true && (status === 401 || status === 403)) {
    reply.header(
      'www-authenticate',
      `Bearer ${realm}, error=${quoted(name)}, error_description=${quoted(body.error_description)}`,
    );
  } else if (name === 'invalid_client') {
    reply.header('www-authenticate', `Basic ${realm}`);
  }
  const retryAfter = retryAfterOf(error);
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  return reply.code(status).header('cache-control', 'no-store').type('application/json').send(body);
};
