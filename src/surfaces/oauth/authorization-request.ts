import type { Client } from '../../core/clients/client.js';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { AuthorizationParams } from '../../core/login/authorization-requests.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import type { ValidatedRedirect } from '../shared/authorization-response.js';
import { RequestObjectNotSupported } from '../shared/oauth-errors.js';

/** Query (GET) or form (POST) parameters as parsed: a repeated parameter is an array. */
export type RawParams = Readonly<Record<string, string | string[] | undefined>>;

/** One value of a parameter. @throws GatehouseError `invalid_request` when it was sent more than once. */
export const single = (raw: RawParams, name: string, maxLength = 2048): string | undefined => {
  const value = raw[name];
  // RFC 6749 §3.1: request and response parameters must not be included more than once.
  if (Array.isArray(value)) throw new GatehouseError('invalid_request', `${name} was sent more than once`);
  if (value === undefined || value === '') return undefined;
  if (value.length > maxLength) throw new GatehouseError('invalid_request', `${name} is too long`);
  return value;
};

/** The client and redirect URI of a request, checked before anything may be sent to that URI. */
export interface AuthorizationTarget extends ValidatedRedirect {
  readonly client: Client;
}

/**
 * Step 1 of `authorize`: who is asking, and where answers may go. Until both hold, errors are shown on a page and the
 * browser is never redirected (RFC 6749 §4.1.2.1, RFC 9700 §4.1: no open redirector).
 * @throws GatehouseError `invalid_request`, `invalid_client` (rendered as a page by the caller)
 */
export const authorizationTarget = async (core: Core, tenant: Tenant, raw: RawParams): Promise<AuthorizationTarget> => {
  const clientId = single(raw, 'client_id', 200);
  if (clientId === undefined) throw new GatehouseError('invalid_request', 'client_id is missing');
  const client = await core.clients.find(clientId);
  if (client === undefined || client.tenantId !== tenant.id)
    throw new GatehouseError('invalid_client', 'the client is not known to this issuer');
  const redirectUri = single(raw, 'redirect_uri');
  // OIDC Core §3.1.2.1 requires redirect_uri; RFC 9700 §4.1.3: compared exactly.
  if (redirectUri === undefined) throw new GatehouseError('invalid_request', 'redirect_uri is missing');
  if (!client.redirectUris.includes(redirectUri))
    throw new GatehouseError('invalid_request', 'redirect_uri is not registered for this client');
  let state: string | undefined;
  try {
    state = single(raw, 'state');
  } catch {
    state = undefined;
  }
  return { client, redirectUri, issuer: core.tokens.issuerOf(tenant.id), ...(state === undefined ? {} : { state }) };
};

const promptValues = new Set(['none', 'login', 'consent', 'select_account']);
// RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
const s256Challenge = /^[A-Za-z0-9_-]{43}$/;

/**
 * Step 2: the rest of the request, whose errors go back to the validated redirect URI.
 * @throws GatehouseError `invalid_request` (`RequestObjectNotSupported` for `request` and `request_uri`),
 *   `unsupported_response_type`, `unauthorized_client`, `invalid_scope`
 */
export const authorizationParams = (core: Core, target: AuthorizationTarget, raw: RawParams): AuthorizationParams => {
  const { client } = target;
  // OIDC Core §6.1, §6.2: request objects are not supported (discovery says so); the client hears it first.
  if (raw.request !== undefined) throw new RequestObjectNotSupported('request');
  if (raw.request_uri !== undefined) throw new RequestObjectNotSupported('request_uri');
  const state = single(raw, 'state');
  const responseType = single(raw, 'response_type');
  if (responseType === undefined) throw new GatehouseError('invalid_request', 'response_type is missing');
  if (responseType !== 'code')
    throw new GatehouseError('unsupported_response_type', 'only response_type=code is supported');
  if (!client.grantTypes.includes('authorization_code'))
    throw new GatehouseError('unauthorized_client', 'the client may not use the authorization code grant');
  const responseMode = single(raw, 'response_mode');
  if (responseMode !== undefined && responseMode !== 'query')
    throw new GatehouseError('invalid_request', 'only response_mode=query is supported');

  const scope = core.tokens.scopes.parse(single(raw, 'scope'));
  core.tokens.scopes.requireAllowed(client, scope);

  const codeChallenge = single(raw, 'code_challenge', 128);
  const method = single(raw, 'code_challenge_method', 10);
  if (codeChallenge === undefined) {
    // RFC 9700 §2.1.1: public clients must use PKCE.
    if (client.public)
      throw new GatehouseError('invalid_request', 'code_challenge is required (PKCE with S256) for public clients');
    if (method !== undefined)
      throw new GatehouseError('invalid_request', 'code_challenge_method without code_challenge');
  } else {
    // RFC 7636 §4.3: an absent method means `plain`, which is refused (RFC 9700 §2.1.1).
    if (method !== 'S256') throw new GatehouseError('invalid_request', 'code_challenge_method must be S256');
    if (!s256Challenge.test(codeChallenge)) throw new GatehouseError('invalid_request', 'code_challenge is malformed');
  }

  const prompt = (single(raw, 'prompt') ?? '').split(' ').filter(Boolean);
  if (prompt.some((p) => !promptValues.has(p)))
    throw new GatehouseError('invalid_request', 'prompt has an unknown value');
  // OIDC Core §3.1.2.1: `none` with any other value is an error.
  if (prompt.includes('none') && prompt.length > 1)
    throw new GatehouseError('invalid_request', 'prompt=none cannot be combined with other values');
  const maxAgeText = single(raw, 'max_age', 10);
  if (maxAgeText !== undefined && !/^\d+$/.test(maxAgeText))
    throw new GatehouseError('invalid_request', 'max_age must be a number of seconds');

  const nonce = single(raw, 'nonce', 512);
  const loginHint = single(raw, 'login_hint', 320);
  const idpHint = single(raw, 'idp_hint', 100);
  // OIDC Core §3.1.2.1: `ui_locales`, space-separated BCP 47 tags; the hosted pages use the first they have.
  const uiLocales = single(raw, 'ui_locales', 200);
  return {
    redirectUri: target.redirectUri,
    scope: scope.join(' '),
    prompt,
    ...(state === undefined ? {} : { state }),
    ...(nonce === undefined ? {} : { nonce }),
    ...(codeChallenge === undefined ? {} : { codeChallenge }),
    ...(maxAgeText === undefined ? {} : { maxAge: Number(maxAgeText) }),
    ...(loginHint === undefined ? {} : { loginHint }),
    ...(idpHint === undefined ? {} : { idpHint }),
    ...(uiLocales === undefined ? {} : { uiLocales }),
  };
};
