import { constantTimeEqual, pkceChallenge } from '../../lib/crypto.js';
import type { ConnectorDeps, UpstreamCallback, UpstreamRequest } from '../connector.js';
import { ConnectorError } from '../errors.js';
import { asRecord, asString, basicAuth, formPost, upstreamJson } from './http.js';

/** What an OAuth 2.0 authorization request carries beyond the core's `UpstreamRequest`. */
export interface AuthorizationUrlOptions {
  readonly endpoint: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** Send `code_challenge` (RFC 7636 S256). Only where the IdP supports it. */
  readonly pkce: boolean;
  /** Send `nonce` (OpenID Connect). */
  readonly nonce: boolean;
  readonly responseMode?: 'form_post';
  /** Provider-specific parameters (`hd`, `prompt`, …). */
  readonly extra?: Readonly<Record<string, string>>;
  /** Scope separator: a space (RFC 6749 §3.3) unless the IdP wants otherwise. */
  readonly scopeSeparator?: string;
}

/** Builds the authorization URL (RFC 6749 §4.1.1) from the transaction the core generated. */
export const buildAuthorizationUrl = (request: UpstreamRequest, options: AuthorizationUrlOptions): URL => {
  const url = new URL(options.endpoint);
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: options.clientId,
    redirect_uri: request.redirectUri,
    scope: (request.scopes ?? options.scopes).join(options.scopeSeparator ?? ' '),
    state: request.state,
    nonce: options.nonce ? request.nonce : undefined,
    code_challenge: options.pkce ? pkceChallenge(request.codeVerifier) : undefined,
    code_challenge_method: options.pkce ? 'S256' : undefined,
    response_mode: options.responseMode,
    login_hint: request.loginHint,
    ...options.extra,
  };
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
};

/**
 * Reads the authorization response (RFC 6749 §4.1.2) and returns the code, after checking that it answers `request`.
 * @throws ConnectorError `idp_error` (the IdP sent `error`, e.g. the user declined), `state_mismatch` (state does not
 *   match), `invalid_token` (RFC 9207 `iss` names another issuer), `invalid_callback` (no code).
 */
export const readAuthorizationResponse = (
  callback: UpstreamCallback,
  request: UpstreamRequest,
  expectedIssuer?: string,
  /** The IdP advertises `authorization_response_iss_parameter_supported` (RFC 9207 §3): `iss` must then be present. */
  issRequired = false,
): string => {
  const { params } = callback;
  const error = params.get('error');
  if (error !== null) {
    const description = params.get('error_description') ?? params.get('error_reason') ?? undefined;
    throw new ConnectorError(
      'idp_error',
      'authorization',
      description === undefined ? error : `${error}: ${description}`,
      {
        details: { error },
      },
    );
  }
  // RFC 6749 §10.12: the state must be the one this transaction sent.
  const state = params.get('state');
  if (state === null || !constantTimeEqual(state, request.state)) {
    throw new ConnectorError('state_mismatch', 'authorization', 'the callback state does not match the login flow');
  }
  // RFC 9207 §2.4: when the IdP identifies itself, it must be the one we sent the user to.
  const iss = params.get('iss');
  // RFC 9207 §2.4: a response without `iss` from an IdP that says it sends one is refused (mix-up defence).
  if (iss === null && issRequired) {
    throw new ConnectorError(
      'invalid_token',
      'authorization',
      'the callback does not name its issuer, which this IdP always does',
    );
  }
  if (iss !== null && expectedIssuer !== undefined && iss !== expectedIssuer) {
    throw new ConnectorError('invalid_token', 'authorization', 'the callback came from an unexpected issuer');
  }
  const code = params.get('code');
  if (code === null || code.length === 0)
    throw new ConnectorError('invalid_callback', 'authorization', 'the callback has no code');
  return code;
};

/** How the client authenticates at the token endpoint (RFC 6749 §2.3.1). */
export type TokenEndpointAuth = 'client_secret_basic' | 'client_secret_post';

export interface CodeExchange {
  readonly connectorId: string;
  readonly endpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly auth: TokenEndpointAuth;
  readonly code: string;
  readonly redirectUri: string;
  readonly codeVerifier?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Redeems an authorization code (RFC 6749 §4.1.3) and returns the token response, which has an `access_token`.
 * Errors are read from the body whatever the status, since GitHub answers HTTP 200 with `{"error": …}`.
 * @throws ConnectorError `invalid_token` when the IdP rejects the code (`invalid_grant`); `idp_refused` when it
 *   rejects our client (`invalid_client`: a configuration problem); `idp_unavailable` when it is unreachable or
 *   answers nonsense.
 */
export const exchangeCode = async (deps: ConnectorDeps, exchange: CodeExchange): Promise<Record<string, unknown>> => {
  const call = { connectorId: exchange.connectorId, step: 'token_exchange' } as const;
  const basic = exchange.auth === 'client_secret_basic';
  const init = formPost(
    {
      grant_type: 'authorization_code',
      code: exchange.code,
      redirect_uri: exchange.redirectUri,
      client_id: exchange.clientId,
      client_secret: basic ? undefined : exchange.clientSecret,
      code_verifier: exchange.codeVerifier,
    },
    { ...exchange.headers, ...(basic ? { authorization: basicAuth(exchange.clientId, exchange.clientSecret) } : {}) },
  );
  const response = await upstreamJson(deps, call, exchange.endpoint, init);
  const body = asRecord(response.body);
  if (body === undefined)
    throw new ConnectorError('idp_unavailable', call.step, 'the token endpoint answered nonsense');
  rejectTokenError(body, response.status);
  if (asString(body.access_token) === undefined) {
    throw new ConnectorError('idp_unavailable', call.step, 'the token endpoint returned no access token', {
      upstreamStatus: response.status,
    });
  }
  return body;
};

// RFC 6749 §5.2 names, plus GitHub's spelling of an unusable code:
// https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
const codeRejections = new Set(['invalid_grant', 'bad_verification_code']);

const rejectTokenError = (body: Record<string, unknown>, status: number): void => {
  const error = asString(body.error);
  if (error === undefined && status < 400) return;
  if (error !== undefined && codeRejections.has(error)) {
    throw new ConnectorError(
      'invalid_token',
      'token_exchange',
      'the identity provider rejected the authorization code',
      {
        details: { error },
      },
    );
  }
  throw new ConnectorError(
    'idp_refused',
    'token_exchange',
    `the token endpoint refused the request (${error ?? status})`,
    {
      upstreamStatus: status,
    },
  );
};
