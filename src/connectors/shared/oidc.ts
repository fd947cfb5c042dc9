import type {
  ConnectionConfig,
  Connector,
  ConnectorDeps,
  ExternalProfile,
  PresentedToken,
  UpstreamCallback,
  UpstreamRequest,
} from '../connector.js';
import { ConnectorError } from '../errors.js';
import { cachedDocument } from './cached-document.js';
import { requireHttps } from './endpoints.js';
import { asRecord, asString, upstreamJson } from './http.js';
import { buildAuthorizationUrl, exchangeCode, readAuthorizationResponse, type TokenEndpointAuth } from './oauth2.js';
import { buildProfile, type ProfileFields, standardClaims } from './profile.js';
import { type NonceCarriage, tokenBinding } from './token-binding.js';
import { type IdTokenExpectations, type VerifiedClaims, verifyIdToken } from './verify-id-token.js';

/** Endpoint names every OIDC connector accepts in `endpoints`. */
export type OidcEndpointName = 'issuer' | 'authorization' | 'token' | 'userinfo' | 'jwks';

/** The provider-specific part of an OpenID Connect connector; everything else is shared. */
export interface OidcProvider {
  /** Resolved endpoints. An empty string means "from the discovery document". */
  readonly endpoints: Readonly<Record<OidcEndpointName, string>>;
  /** Where the discovery document is, when some endpoints are left to it. */
  readonly discovery?: string;
  /** How `iss` is checked; default: exactly `endpoints.issuer`. */
  readonly acceptIssuer?: IdTokenExpectations['issuer'];
  /** Client ids a token may be issued to: the connection's `clientId` first, then extra `audiences`. */
  readonly audiences: readonly string[];
  /** Audiences of a native (token-in) sign-in when they differ from `audiences` (Apple: bundle ids, not the Services ID). */
  readonly nativeAudiences?: readonly string[];
  /** Audiences of a redirect sign-in; default: the connection's `clientId` (OIDC Core §3.1.3.7 (3)). */
  readonly redirectAudiences?: readonly string[];
  readonly algorithms?: readonly string[];
  /** `aud` must be a single client id (`IdTokenExpectations.singleAudience`). */
  readonly singleAudience?: boolean;
  readonly defaultScopes: readonly string[];
  readonly pkce: boolean;
  readonly responseMode?: 'form_post';
  readonly authorizationParams?: Readonly<Record<string, string>>;
  readonly tokenEndpointAuth: TokenEndpointAuth;
  /** The client secret to present at the token endpoint (Apple's is a short-lived JWT, made on demand). */
  readonly clientSecret: () => Promise<string>;
  readonly nonceMode?: IdTokenExpectations['nonceMode'];
  /** How a native app's token carries the nonce it was given (default `plain`; Apple: `sha256`). */
  readonly nonceCarriage?: NonceCarriage;
  /** Whether native ID tokens need a service-issued nonce when the connection's `settings.requireNonce` is unset. */
  readonly requireNonceByDefault?: boolean;
  /** Also fetch the UserInfo endpoint after the code exchange (OIDC Core §5.3). */
  readonly userinfo: boolean;
  readonly tokenKinds: readonly PresentedToken['kind'][];
  /** Provider rules on verified claims (hosted domain, tenant): throw to reject. */
  readonly checkClaims?: (claims: VerifiedClaims) => void;
  /** Claims to profile; default: the standard claims, `iss` as the issuer. */
  readonly toProfile?: (claims: Readonly<Record<string, unknown>>, callback?: UpstreamCallback) => ProfileFields;
}

interface Metadata {
  readonly authorization: string;
  readonly token: string;
  readonly jwks: string;
  readonly userinfo: string | undefined;
  readonly algorithms: readonly string[] | undefined;
  /** RFC 9207 §3: the IdP puts `iss` in every authorization response. */
  readonly issParameter: boolean;
}

const discoveryTtlSeconds = 3600;

/**
 * An OpenID Connect connector (authorization code flow with state, nonce and, where supported, PKCE; ID tokens
 * verified by `verifyIdToken`), specialised by `provider`. Each provider file is mostly a call to this.
 */
export const createOidcConnector = (
  config: ConnectionConfig,
  deps: ConnectorDeps,
  displayName: string,
  provider: OidcProvider,
): Connector => {
  const issuer = provider.endpoints.issuer;
  let metadata: Promise<Metadata> | undefined;
  const getMetadata = () => {
    metadata ??= resolveMetadata(config, deps, provider).catch((error: unknown) => {
      metadata = undefined;
      throw error;
    });
    return metadata;
  };

  const verify = async (
    idToken: string,
    audiences: readonly string[],
    nonce: string | undefined,
    presentedClientId?: string,
  ) => {
    const { jwks, algorithms } = await getMetadata();
    const claims = await verifyIdToken(deps, idToken, {
      connectorId: config.id,
      issuer: provider.acceptIssuer ?? issuer,
      jwksUri: jwks,
      audiences,
      authorizedParties: provider.audiences,
      ...(provider.singleAudience === true ? { singleAudience: true } : {}),
      ...(presentedClientId === undefined ? {} : { presentedClientId }),
      algorithms: provider.algorithms ?? algorithms ?? ['RS256'],
      ...(nonce === undefined ? {} : { nonce }),
      ...(provider.nonceMode === undefined ? {} : { nonceMode: provider.nonceMode }),
    });
    provider.checkClaims?.(claims);
    return claims;
  };

  const profileOf = (claims: Readonly<Record<string, unknown>>, callback?: UpstreamCallback): ExternalProfile => {
    if (provider.toProfile !== undefined) return buildProfile(config, provider.toProfile(claims, callback));
    return buildProfile(config, {
      issuer: String(claims.iss),
      subject: String(claims.sub),
      ...standardClaims(config, claims),
      raw: claims,
    });
  };

  return {
    id: config.id,
    kind: config.kind,
    issuer,
    displayName,
    responseMode: provider.responseMode ?? 'query',

    async authorizationUrl(request: UpstreamRequest): Promise<URL> {
      const { authorization } = await getMetadata();
      return buildAuthorizationUrl(request, {
        endpoint: authorization,
        clientId: config.clientId,
        scopes: config.scopes ?? provider.defaultScopes,
        pkce: provider.pkce,
        nonce: true,
        ...(provider.responseMode === undefined ? {} : { responseMode: provider.responseMode }),
        ...(provider.authorizationParams === undefined ? {} : { extra: provider.authorizationParams }),
      });
    },

    async completeAuthorization(callback: UpstreamCallback, request: UpstreamRequest): Promise<ExternalProfile> {
      const { token, userinfo, issParameter } = await getMetadata();
      const code = readAuthorizationResponse(
        callback,
        request,
        typeof provider.acceptIssuer === 'function' ? undefined : issuer,
        issParameter,
      );
      const tokens = await exchangeCode(deps, {
        connectorId: config.id,
        endpoint: token,
        clientId: config.clientId,
        clientSecret: await provider.clientSecret(),
        auth: provider.tokenEndpointAuth,
        code,
        redirectUri: request.redirectUri,
        ...(provider.pkce ? { codeVerifier: request.codeVerifier } : {}),
      });
      const idToken = asString(tokens.id_token);
      if (idToken === undefined) {
        throw new ConnectorError('idp_unavailable', 'token_exchange', 'the token response has no id_token');
      }
      // OIDC Core §3.1.3.7 (3): a redirect-flow ID token must be for our own client id, not an extra audience.
      const claims = await verify(idToken, provider.redirectAudiences ?? [config.clientId], request.nonce);
      if (!provider.userinfo || userinfo === undefined) return profileOf(claims, callback);
      const extra = await fetchUserinfo(config, deps, userinfo, String(tokens.access_token), claims.sub);
      return profileOf({ ...extra, ...claims }, callback);
    },

    async verifyToken(presented: PresentedToken): Promise<ExternalProfile> {
      if (presented.kind !== 'id_token' || !provider.tokenKinds.includes('id_token')) {
        throw new ConnectorError('unsupported_token_type', 'id_token', `${displayName} sign-in accepts ID tokens only`);
      }
      const audiences = provider.nativeAudiences ?? provider.audiences;
      checkPresentedApp(audiences, presented);
      const claims = await verify(presented.value, audiences, presented.nonce, presented.clientId);
      const setting = config.settings.requireNonce;
      const binding = tokenBinding(presented.value, claims, {
        carriage: provider.nonceCarriage ?? 'plain',
        nonceRequired: typeof setting === 'boolean' ? setting : provider.requireNonceByDefault === true,
      });
      return { ...profileOf(claims), binding };
    },
  };
};

/**
 * When the caller names the app it got the token for (Flex `idp_client_id`), that app must be one of the
 * connection's; the token must then name it as its audience or its authorized party (`verifyIdToken`).
 * @throws ConnectorError `wrong_audience` when the named app is not one of the connection's.
 */
export const checkPresentedApp = (configured: readonly string[], presented: PresentedToken): void => {
  if (presented.clientId !== undefined && !configured.includes(presented.clientId)) {
    throw new ConnectorError(
      'wrong_audience',
      'id_token',
      'the token was issued to an application this connection does not accept',
    );
  }
};

const fetchUserinfo = async (
  config: ConnectionConfig,
  deps: ConnectorDeps,
  endpoint: string,
  accessToken: string,
  subject: string,
): Promise<Record<string, unknown>> => {
  const call = { connectorId: config.id, step: 'userinfo' } as const;
  const response = await upstreamJson(deps, call, endpoint, { headers: { authorization: `Bearer ${accessToken}` } });
  const body = asRecord(response.body);
  if (response.status !== 200 || body === undefined) {
    throw new ConnectorError('idp_unavailable', 'userinfo', `the UserInfo endpoint answered HTTP ${response.status}`, {
      upstreamStatus: response.status,
    });
  }
  // OIDC Core §5.3.2: the UserInfo `sub` must equal the ID token's, or the response must not be used.
  if (body.sub !== subject)
    throw new ConnectorError('invalid_token', 'userinfo', 'the UserInfo subject does not match');
  return body;
};

const resolveMetadata = async (
  config: ConnectionConfig,
  deps: ConnectorDeps,
  provider: OidcProvider,
): Promise<Metadata> => {
  const { endpoints } = provider;
  const needsDiscovery = endpoints.authorization === '' || endpoints.token === '' || endpoints.jwks === '';
  const discovered = needsDiscovery ? await discover(config, deps, provider) : {};
  const pick = (name: 'authorization' | 'token' | 'jwks' | 'userinfo', field: string): string | undefined => {
    const value = endpoints[name] !== '' ? endpoints[name] : asString(discovered[field]);
    return value === undefined ? undefined : requireHttps(config, deps, name, value);
  };
  const authorization = pick('authorization', 'authorization_endpoint');
  const token = pick('token', 'token_endpoint');
  const jwks = pick('jwks', 'jwks_uri');
  if (authorization === undefined || token === undefined || jwks === undefined) {
    throw new ConnectorError('idp_unavailable', 'discovery', 'the discovery document lacks required endpoints');
  }
  const algs = discovered.id_token_signing_alg_values_supported;
  return {
    authorization,
    token,
    jwks,
    userinfo: pick('userinfo', 'userinfo_endpoint'),
    algorithms: Array.isArray(algs) ? algs.filter((a): a is string => typeof a === 'string') : undefined,
    issParameter: discovered.authorization_response_iss_parameter_supported === true,
  };
};

const discover = async (
  config: ConnectionConfig,
  deps: ConnectorDeps,
  provider: OidcProvider,
): Promise<Record<string, unknown>> => {
  const url = provider.discovery ?? `${provider.endpoints.issuer}/.well-known/openid-configuration`;
  const text = await cachedDocument(deps, `connectors:discovery:${url}`, async () => {
    const response = await upstreamJson(deps, { connectorId: config.id, step: 'discovery' }, url);
    const body = asRecord(response.body);
    if (response.status !== 200 || body === undefined) {
      throw new ConnectorError(
        'idp_unavailable',
        'discovery',
        `the discovery document answered HTTP ${response.status}`,
        {
          upstreamStatus: response.status,
        },
      );
    }
    // OIDC Discovery §4.3: the document's issuer must be the one we asked about.
    if (body.issuer !== provider.endpoints.issuer) {
      throw new ConnectorError('idp_unavailable', 'discovery', 'the discovery document names another issuer');
    }
    return { text: JSON.stringify(body), ttlSeconds: discoveryTtlSeconds };
  });
  const parsed = asRecord(safeParse(text));
  if (parsed === undefined)
    throw new ConnectorError('idp_unavailable', 'discovery', 'the discovery document is not JSON');
  return parsed;
};

const safeParse = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};
