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
import { asRecord, asString, basicAuth, upstreamJson } from './shared/http.js';
import { buildAuthorizationUrl, exchangeCode, readAuthorizationResponse } from './shared/oauth2.js';
import { checkPresentedApp } from './shared/oidc.js';
import { buildProfile } from './shared/profile.js';
import { withTokenCache } from './shared/token-cache.js';

// https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
const issuer = 'https://github.com';
const authorizationEndpoint = 'https://github.com/login/oauth/authorize';
const tokenEndpoint = 'https://github.com/login/oauth/access_token';
/** REST API root: `/user`, `/user/emails`, `/applications/{client_id}/token`. */
const apiRoot = 'https://api.github.com';
const apiVersion = '2022-11-28';

type GithubEndpoint = 'issuer' | 'authorization' | 'token' | 'api';

interface GithubUser {
  readonly user: Record<string, unknown>;
  readonly email: { readonly address: string; readonly verified: boolean } | undefined;
}

/** GitHub OAuth apps (OAuth 2.0, not OpenID Connect). The email is the verified primary address from `/user/emails`. */
export const github = defineConnector({
  displayName: 'GitHub',
  tokenKinds: ['access_token'],
  endpointNames: ['issuer', 'authorization', 'token', 'api'],
  requiresClientSecret: true,
  settingsSchema: Type.Object({}, { additionalProperties: false }),
  create: (config, deps) =>
    createGithubConnector(
      config,
      deps,
      resolveEndpoints<GithubEndpoint>(
        config,
        deps,
        { issuer, authorization: authorizationEndpoint, token: tokenEndpoint, api: apiRoot },
        (base) => ({
          issuer: `${base}/github`,
          authorization: `${base}/github/login/oauth/authorize`,
          token: `${base}/github/login/oauth/access_token`,
          api: `${base}/github/api`,
        }),
      ),
    ),
});

const createGithubConnector = (
  config: ConnectionConfig,
  deps: ConnectorDeps,
  endpoints: Endpoints<GithubEndpoint>,
): Connector => {
  const api = (path: string, token: string, step: 'userinfo' | 'token_introspection' = 'userinfo') =>
    upstreamJson(deps, { connectorId: config.id, step }, `${endpoints.api}${path}`, {
      headers: githubHeaders({ authorization: `Bearer ${token}` }),
    });

  const readUser = async (token: string): Promise<GithubUser> => {
    const response = await api('/user', token);
    const user = asRecord(response.body);
    if (response.status === 401)
      throw new ConnectorError('invalid_token', 'userinfo', 'GitHub rejected the access token');
    if (response.status !== 200 || user === undefined || !isGithubId(user.id)) {
      throw new ConnectorError('idp_unavailable', 'userinfo', `GitHub /user answered HTTP ${response.status}`, {
        upstreamStatus: response.status,
      });
    }
    return { user, email: await primaryEmail(token) };
  };

  // Without the `user:email` scope `/user/emails` is 404 (403 for a fine-grained token without the permission); the
  // public `email` of `/user` is then all there is, and it is not treated as verified. A rate limit is not that: it is
  // reported (`upstreamJson`), rather than signing the user in without the verified email they have.
  // https://docs.github.com/en/rest/users/emails
  const primaryEmail = async (token: string): Promise<GithubUser['email']> => {
    const response = await api('/user/emails', token);
    if (response.status === 403 || response.status === 404) return undefined;
    if (response.status !== 200 || !Array.isArray(response.body)) {
      throw new ConnectorError('idp_unavailable', 'userinfo', `GitHub /user/emails answered HTTP ${response.status}`, {
        upstreamStatus: response.status,
      });
    }
    const primary = response.body.map(asRecord).find((entry) => entry?.primary === true);
    const address = asString(primary?.email);
    return address === undefined ? undefined : { address, verified: primary?.verified === true };
  };

  // OAuth apps can check a token with their own credentials; a token of another app is unknown (404) there, and 422
  // is GitHub's "Validation failed" for a token that is malformed, expired or revoked: the client's token is invalid.
  // https://docs.github.com/en/rest/apps/oauth-applications#check-a-token
  const checkToken = async (token: string) => {
    const response = await upstreamJson(
      deps,
      { connectorId: config.id, step: 'token_introspection' },
      `${endpoints.api}/applications/${encodeURIComponent(config.clientId)}/token`,
      {
        method: 'POST',
        headers: githubHeaders({
          authorization: basicAuth(config.clientId, secretOf(config)),
          'content-type': 'application/json',
        }),
        body: JSON.stringify({ access_token: token }),
      },
    );
    const body = asRecord(response.body);
    if (response.status === 422) {
      throw new ConnectorError('invalid_token', 'token_introspection', 'GitHub does not know the access token');
    }
    if (response.status === 404) {
      // Tell "another app's token" from "no token at all" by asking GitHub who the token belongs to.
      const probe = await api('/user', token, 'token_introspection');
      if (probe.status === 200)
        throw new ConnectorError('wrong_audience', 'token_introspection', 'the GitHub token was issued to another app');
      throw new ConnectorError('invalid_token', 'token_introspection', 'GitHub does not know the access token');
    }
    if (response.status !== 200 || body === undefined) {
      throw new ConnectorError(
        'idp_refused',
        'token_introspection',
        `GitHub refused our app credentials (HTTP ${response.status})`,
        {
          upstreamStatus: response.status,
        },
      );
    }
    if (asRecord(body.app)?.client_id !== config.clientId) {
      throw new ConnectorError('wrong_audience', 'token_introspection', 'the GitHub token was issued to another app');
    }
    const expiresAt = asString(body.expires_at);
    return expiresAt === undefined ? undefined : Math.floor(Date.parse(expiresAt) / 1000);
  };

  const toProfile = ({ user, email }: GithubUser): ExternalProfile => {
    const fallback = asString(user.email);
    return buildProfile(config, {
      issuer: endpoints.issuer,
      subject: String(user.id),
      email: email?.address ?? fallback,
      emailVerified: email?.verified === true,
      displayName: asString(user.name) ?? asString(user.login),
      picture: asString(user.avatar_url),
      raw: email === undefined ? user : { ...user, primary_email: email },
    });
  };

  return {
    id: config.id,
    kind: config.kind,
    issuer: endpoints.issuer,
    displayName: 'GitHub',
    responseMode: 'query',

    async authorizationUrl(request: UpstreamRequest): Promise<URL> {
      return buildAuthorizationUrl(request, {
        endpoint: endpoints.authorization,
        clientId: config.clientId,
        scopes: config.scopes ?? ['read:user', 'user:email'],
        pkce: true,
        nonce: false,
      });
    },

    async completeAuthorization(callback: UpstreamCallback, request: UpstreamRequest): Promise<ExternalProfile> {
      const code = readAuthorizationResponse(callback, request);
      const tokens = await exchangeCode(deps, {
        connectorId: config.id,
        endpoint: endpoints.token,
        clientId: config.clientId,
        clientSecret: secretOf(config),
        auth: 'client_secret_post',
        code,
        redirectUri: request.redirectUri,
        codeVerifier: request.codeVerifier,
        // Without it GitHub answers form-encoded.
        headers: { accept: 'application/json' },
      });
      // The token comes straight from GitHub for our client id, so it needs no further check.
      return toProfile(await readUser(String(tokens.access_token)));
    },

    async verifyToken(presented: PresentedToken): Promise<ExternalProfile> {
      if (presented.kind !== 'access_token') {
        throw new ConnectorError('unsupported_token_type', 'token_introspection', 'GitHub issues access tokens only');
      }
      checkPresentedApp([config.clientId], presented);
      const user = await withTokenCache(deps, 'github', config.clientId, presented.value, async () => {
        const expiresAt = await checkToken(presented.value);
        if (expiresAt !== undefined && expiresAt <= Math.floor(deps.clock.now().getTime() / 1000)) {
          throw new ConnectorError('invalid_token', 'token_introspection', 'the GitHub access token has expired');
        }
        return { value: await readUser(presented.value), expiresAt };
      });
      return toProfile(user);
    },
  };
};

const isGithubId = (value: unknown): boolean =>
  (typeof value === 'number' && Number.isSafeInteger(value)) || (typeof value === 'string' && value.length > 0);

const githubHeaders = (extra: Record<string, string>): Record<string, string> => ({
  accept: 'application/vnd.github+json',
  'x-github-api-version': apiVersion,
  'user-agent': 'Gatehouse',
  ...extra,
});
