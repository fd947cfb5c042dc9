import { createHmac } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type {
  ConnectionConfig,
  Connector,
  ConnectorDeps,
  ExternalProfile,
  PresentedToken,
  UpstreamCallback,
  UpstreamRequest,
} from './connector.js';
import { ConnectorError } from './errors.js';
import { defineConnector, secretOf } from './shared/definition.js';
import { type Endpoints, resolveEndpoints } from './shared/endpoints.js';
import { asRecord, asString, formPost, upstreamJson } from './shared/http.js';
import { buildAuthorizationUrl, readAuthorizationResponse } from './shared/oauth2.js';
import { checkPresentedApp } from './shared/oidc.js';
import { buildProfile, standardClaims } from './shared/profile.js';
import { requireNonceSetting, tokenBinding } from './shared/token-binding.js';
import { withTokenCache } from './shared/token-cache.js';
import { verifyIdToken } from './shared/verify-id-token.js';

/** The one Graph API version every Facebook URL uses. https://developers.facebook.com/docs/graph-api/changelog */
export const graphVersion = 'v23.0';
// https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow
const authorizationEndpoint = `https://www.facebook.com/${graphVersion}/dialog/oauth`;
const tokenEndpoint = `https://graph.facebook.com/${graphVersion}/oauth/access_token`;
// https://developers.facebook.com/docs/graph-api/reference/v23.0/debug_token
const debugTokenEndpoint = `https://graph.facebook.com/${graphVersion}/debug_token`;
const meEndpoint = `https://graph.facebook.com/${graphVersion}/me`;
// Limited Login: https://developers.facebook.com/docs/facebook-login/limited-login/token/validating
const limitedLoginIssuer = 'https://www.facebook.com';
const limitedLoginJwks = 'https://limited.facebook.com/.well-known/oauth/openid/jwks/';

const profileFields = 'id,name,email,first_name,last_name';

type FacebookEndpoint = 'issuer' | 'authorization' | 'token' | 'debug_token' | 'me' | 'jwks';

/**
 * Facebook Login: the Graph API for classic access tokens (checked with `debug_token` against our app), and Limited
 * Login's OIDC ID tokens. Facebook does not say whether an email is verified: the connection's `trustEmail` decides.
 */
export const facebook = defineConnector({
  displayName: 'Facebook',
  tokenKinds: ['access_token', 'id_token'],
  endpointNames: ['issuer', 'authorization', 'token', 'debug_token', 'me', 'jwks'],
  requiresClientSecret: true,
  settingsSchema: Type.Object(
    {
      // Limited Login's ID tokens carry the nonce the app passed to the SDK; classic access tokens carry none.
      requireNonce: requireNonceSetting(true),
    },
    { additionalProperties: false },
  ),
  create: (config, deps) =>
    createFacebookConnector(
      config,
      deps,
      resolveEndpoints<FacebookEndpoint>(
        config,
        deps,
        {
          issuer: limitedLoginIssuer,
          authorization: authorizationEndpoint,
          token: tokenEndpoint,
          debug_token: debugTokenEndpoint,
          me: meEndpoint,
          jwks: limitedLoginJwks,
        },
        (base) => ({
          issuer: `${base}/facebook`,
          authorization: `${base}/facebook/${graphVersion}/dialog/oauth`,
          token: `${base}/facebook/${graphVersion}/oauth/access_token`,
          debug_token: `${base}/facebook/${graphVersion}/debug_token`,
          me: `${base}/facebook/${graphVersion}/me`,
          jwks: `${base}/facebook/.well-known/oauth/openid/jwks/`,
        }),
      ),
    ),
});

const createFacebookConnector = (
  config: ConnectionConfig,
  deps: ConnectorDeps,
  endpoints: Endpoints<FacebookEndpoint>,
): Connector => {
  const inspect = (accessToken: string) =>
    withTokenCache(deps, 'facebook', config.clientId, accessToken, () =>
      inspectAccessToken(config, deps, endpoints, accessToken),
    );
  const toProfile = (me: Record<string, unknown>): ExternalProfile =>
    buildProfile(config, {
      issuer: endpoints.issuer,
      subject: String(me.id),
      email: asString(me.email),
      emailVerified: config.trustEmail,
      givenName: asString(me.first_name),
      familyName: asString(me.last_name),
      displayName: asString(me.name),
      raw: me,
    });

  return {
    id: config.id,
    kind: config.kind,
    issuer: endpoints.issuer,
    displayName: 'Facebook',
    responseMode: 'query',

    async authorizationUrl(request: UpstreamRequest): Promise<URL> {
      return buildAuthorizationUrl(request, {
        endpoint: endpoints.authorization,
        clientId: config.clientId,
        scopes: config.scopes ?? ['email', 'public_profile'],
        scopeSeparator: ',',
        pkce: false,
        nonce: false,
      });
    },

    async completeAuthorization(callback: UpstreamCallback, request: UpstreamRequest): Promise<ExternalProfile> {
      const code = readAuthorizationResponse(callback, request);
      const accessToken = await exchangeCode(config, deps, endpoints.token, code, request.redirectUri);
      return toProfile(await inspect(accessToken));
    },

    async verifyToken(presented: PresentedToken): Promise<ExternalProfile> {
      checkPresentedApp([config.clientId], presented);
      if (presented.kind === 'access_token') return toProfile(await inspect(presented.value));
      const claims = await verifyIdToken(deps, presented.value, {
        connectorId: config.id,
        issuer: endpoints.issuer,
        jwksUri: endpoints.jwks,
        audiences: [config.clientId],
        algorithms: ['RS256'],
        ...(presented.nonce === undefined ? {} : { nonce: presented.nonce }),
      });
      const profile = buildProfile(config, {
        issuer: claims.iss,
        subject: claims.sub,
        ...standardClaims(config, claims),
        emailVerified: config.trustEmail,
        raw: claims,
      });
      const setting = config.settings.requireNonce;
      const nonceRequired = typeof setting === 'boolean' ? setting : true;
      return { ...profile, binding: tokenBinding(presented.value, claims, { carriage: 'plain', nonceRequired }) };
    },
  };
};

/** Graph API errors: `{"error": {"message", "type", "code", "fbtrace_id"}}`. */
const graphError = (body: unknown): { code: number | undefined; message: string } | undefined => {
  const error = asRecord(asRecord(body)?.error);
  if (error === undefined) return undefined;
  return { code: typeof error.code === 'number' ? error.code : undefined, message: asString(error.message) ?? 'error' };
};

/**
 * Graph error codes that speak of the token the client presented, not of our app: 190 (invalid or expired OAuth
 * token) and 100 (invalid parameter: a token that cannot even be parsed).
 * https://developers.facebook.com/docs/graph-api/guides/error-handling
 */
const tokenErrorCodes = new Set([100, 190]);

/** `appsecret_proof`: HMAC-SHA256 of the access token with the app secret (Graph API, "Securing Requests"). */
const appsecretProof = (secret: string, accessToken: string) =>
  createHmac('sha256', secret).update(accessToken).digest('hex');

/**
 * Redeems the code. The app secret travels in the POST body (RFC 6749 §2.3.1 `client_secret_post`), never in a URL,
 * where proxies and logs would keep it.
 */
const exchangeCode = async (
  config: ConnectionConfig,
  deps: ConnectorDeps,
  endpoint: string,
  code: string,
  redirectUri: string,
): Promise<string> => {
  const response = await upstreamJson(
    deps,
    { connectorId: config.id, step: 'token_exchange' },
    endpoint,
    formPost({ client_id: config.clientId, client_secret: secretOf(config), redirect_uri: redirectUri, code }),
  );
  const error = graphError(response.body);
  // Code 100 is an unusable code (malformed, expired or already used); anything else is our app's problem.
  if (error?.code === 100)
    throw new ConnectorError('invalid_token', 'token_exchange', 'Facebook rejected the authorization code');
  const accessToken = asString(asRecord(response.body)?.access_token);
  if (response.status !== 200 || accessToken === undefined) {
    throw new ConnectorError(
      'idp_refused',
      'token_exchange',
      `Facebook refused the code exchange (${error?.message ?? response.status})`,
      { upstreamStatus: response.status },
    );
  }
  return accessToken;
};

/**
 * An access token is accepted only when `debug_token`, asked with our app access token, says it is a valid user
 * token of our app; then `/me` is read with `appsecret_proof`. Returns the `/me` object. The app access token
 * (`{app-id}|{app-secret}`, https://developers.facebook.com/docs/facebook-login/guides/access-tokens#apptokens) goes
 * in the `Authorization` header with its `appsecret_proof` in the query, so no URL carries the secret.
 */
const inspectAccessToken = async (
  config: ConnectionConfig,
  deps: ConnectorDeps,
  endpoints: Endpoints<FacebookEndpoint>,
  accessToken: string,
) => {
  const secret = secretOf(config);
  const appToken = `${config.clientId}|${secret}`;
  const debug = new URL(endpoints.debug_token);
  debug.search = new URLSearchParams({
    input_token: accessToken,
    appsecret_proof: appsecretProof(secret, appToken),
  }).toString();
  const checked = await upstreamJson(deps, { connectorId: config.id, step: 'token_introspection' }, debug, {
    headers: { authorization: `Bearer ${appToken}` },
  });
  const refusal = graphError(checked.body);
  // A junk or expired input token is answered HTTP 400 with a token error: the client's mistake, not our app's.
  if (checked.status === 400 && refusal?.code !== undefined && tokenErrorCodes.has(refusal.code)) {
    throw new ConnectorError('invalid_token', 'token_introspection', 'Facebook says the access token is not valid');
  }
  const data = asRecord(asRecord(checked.body)?.data);
  if (checked.status !== 200 || data === undefined) {
    throw new ConnectorError('idp_refused', 'token_introspection', 'Facebook debug_token refused our app credentials', {
      upstreamStatus: checked.status,
    });
  }
  // A valid token of another app must not sign anyone in here (the classic "token substitution" attack).
  if (data.app_id !== undefined && String(data.app_id) !== config.clientId) {
    throw new ConnectorError('wrong_audience', 'token_introspection', 'the Facebook token was issued to another app');
  }
  if (data.is_valid !== true || data.type !== 'USER' || String(data.app_id) !== config.clientId) {
    throw new ConnectorError('invalid_token', 'token_introspection', 'Facebook says the access token is not valid');
  }
  const expiresAt = typeof data.expires_at === 'number' && data.expires_at > 0 ? data.expires_at : undefined;
  if (expiresAt !== undefined && expiresAt <= Math.floor(deps.clock.now().getTime() / 1000)) {
    throw new ConnectorError('invalid_token', 'token_introspection', 'the Facebook access token has expired');
  }
  const me = new URL(endpoints.me);
  me.search = new URLSearchParams({
    fields: profileFields,
    // https://developers.facebook.com/docs/graph-api/securing-requests#appsecret_proof
    appsecret_proof: appsecretProof(secret, accessToken),
  }).toString();
  const profile = await upstreamJson(deps, { connectorId: config.id, step: 'userinfo' }, me, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  const body = asRecord(profile.body);
  if (profile.status === 400 && graphError(profile.body)?.code === 190) {
    throw new ConnectorError('invalid_token', 'userinfo', 'Facebook rejected the access token');
  }
  if (profile.status !== 200 || body === undefined || asString(body.id) === undefined) {
    throw new ConnectorError('idp_unavailable', 'userinfo', `Facebook /me answered HTTP ${profile.status}`, {
      upstreamStatus: profile.status,
    });
  }
  if (data.user_id !== undefined && String(data.user_id) !== body.id) {
    throw new ConnectorError('invalid_token', 'userinfo', 'Facebook /me does not match the token user');
  }
  return { value: body, expiresAt };
};
