import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'vitest';
import type { Core } from '../../../src/core/index.js';
import type { ProviderKind } from '../../../src/emulator/index.js';
import type { TenantPolicies } from '../../../src/store/schema.js';
import type { EmulatorCallback, EmulatorHarness } from '../../harness/emulator.js';
import type { RunningGatehouse } from '../../harness/gatehouse.js';

/** The Security API's error-free envelope tail (seed 004). */
export const envelopeNulls = {
  Message: null,
  MessageID: null,
  Exception: null,
  ErrorID: null,
  ErrorCode: null,
  InnerExceptions: null,
} as const;

/** A small cookie jar: what a browser would keep between requests to one server. */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, eq).trim();
      const value = (pair ?? '').slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, decodeURIComponent(value));
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('; ');
  }
}

export interface CallResult {
  readonly status: number;
  readonly body: Record<string, unknown> & { success: boolean; Result: unknown };
  readonly response: Response;
}

/** `POST {base}/Security/{name}` with a JSON body, as a native client would (X-IDAP-NATIVE-CLIENT). */
export const security = async (
  base: string,
  name: string,
  body: unknown,
  options: { query?: Record<string, string>; jar?: CookieJar; headers?: Record<string, string> } = {},
): Promise<CallResult> => {
  const url = new URL(`${base}/Security/${name}`);
  for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-idap-native-client': 'true',
      ...(options.jar === undefined || options.jar.cookies.size === 0 ? {} : { cookie: options.jar.header() }),
      ...options.headers,
    },
    body: JSON.stringify(body),
  });
  options.jar?.take(response);
  return { status: response.status, body: (await response.json()) as CallResult['body'], response };
};

/** Delivers an emulator callback to Gatehouse as the browser would (GET, or Apple's form POST). */
export const deliverCallback = async (callback: EmulatorCallback, jar?: CookieJar): Promise<Response> => {
  const cookie = jar === undefined || jar.cookies.size === 0 ? {} : { cookie: jar.header() };
  const response =
    callback.method === 'GET'
      ? await fetch(`${callback.redirectUri}?${callback.params}`, { redirect: 'manual', headers: cookie })
      : await fetch(callback.redirectUri, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...cookie },
          body: callback.params.toString(),
        });
  jar?.take(response);
  return response;
};

/** The IdP keywords of the Security API and the connection each tenant gets for it. */
export const providers = ['Facebook', 'Google', 'LinkedIn', 'Microsoft', 'Apple', 'GitHub'] as const;
export type Provider = (typeof providers)[number];

const appleKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ format: 'pem', type: 'pkcs8' })
  .toString();

export const connectionOf = (provider: Provider, emulator: string) => {
  const kind = provider.toLowerCase();
  const base = { id: kind, kind, clientId: `gatehouse-${kind}`, clientSecret: 'emulator-secret', emulator };
  switch (provider) {
    case 'Facebook':
      return { ...base, clientId: '1234567890', trustEmail: true };
    case 'Apple':
      return {
        ...base,
        clientId: 'com.example.web',
        clientSecret: appleKey,
        settings: { teamId: 'TEAM123456', keyId: 'KEY1234567' },
      };
    default:
      return base;
  }
};

/** Registers a connection's app at the emulator, as its operator does at the provider's console. */
export const registerAppOf = (idp: EmulatorHarness, connection: ReturnType<typeof connectionOf>) =>
  idp.registerApp(
    connection.kind === 'apple'
      ? { provider: 'apple', clientId: connection.clientId }
      : {
          provider: connection.kind as ProviderKind,
          clientId: connection.clientId,
          clientSecret: connection.clientSecret,
        },
  );

export const appCallback = 'https://app.example/after-login';

/** A tenant with every provider, and a client whose callback URL is `appCallback`. */
export const aSocialTenant = async (
  core: Core,
  idp: EmulatorHarness,
  id: string,
  policies: Partial<TenantPolicies> = {},
  extra: { hostnames?: string[] } = {},
) => {
  const tenant = await core.tenants.create({ id, policies, ...extra });
  const { client } = await core.clients.create(tenant.id, {
    clientId: `${id}-app`,
    name: 'The App',
    public: true,
    callbackUrls: [appCallback],
    redirectUris: ['https://app.example/oauth/callback'],
  });
  for (const provider of providers) {
    const connection = connectionOf(provider, idp.url);
    await registerAppOf(idp, connection);
    await core.connections.set(tenant.id, connection);
  }
  return { tenant, client };
};

/** Parameters Gatehouse appended to the app's callback URL (a 302 `Location`). */
export const callbackParams = (response: Response): URLSearchParams => {
  expect(response.status).toBe(302);
  const location = response.headers.get('location') ?? '';
  expect(location.startsWith(`${appCallback}?`)).toBe(true);
  return new URL(location).searchParams;
};

/** Start → IdP (emulator, `test_user`) → callback: the redirect to the app, and its parameters. */
export const socialLogin = async (
  idp: EmulatorHarness,
  base: string,
  provider: string,
  testUser: string,
  options: { jar?: CookieJar; extra?: Record<string, string>; tenantId?: string } = {},
) => {
  const started = await security(
    base,
    'StartSocialAuthentication',
    {
      IdpName: provider,
      PostExtIdpAuthCallbackUrl: appCallback,
      ...(options.tenantId === undefined ? {} : { TenantId: options.tenantId }),
    },
    options.jar === undefined ? {} : { jar: options.jar },
  );
  expect(started.body.success).toBe(true);
  const { IdpRedirectUrl } = started.body.Result as { IdpRedirectUrl: string };
  const callback = await idp.signIn(IdpRedirectUrl, testUser, options.extra);
  const response = await deliverCallback(callback, options.jar);
  return { started, callback, response, idpRedirectUrl: new URL(IdpRedirectUrl), secret: resumeSecretOf(started) };
};

/** The `ExtIdpAuthResumeSecret` a native StartSocialAuthentication answered with (what the app keeps to resume). */
export const resumeSecretOf = (started: CallResult): string => {
  const secret = (started.body.Result as { ExtIdpAuthResumeSecret?: unknown } | null)?.ExtIdpAuthResumeSecret;
  expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return secret as string;
};

/** `ResumeFromExtIdpAuth` as the app that started the flow sends it: the callback's parameters, and its secret. */
export const resume = (
  base: string,
  params: URLSearchParams | Record<string, string>,
  secret: string | undefined,
  options: { jar?: CookieJar } = {},
): Promise<CallResult> =>
  security(base, 'ResumeFromExtIdpAuth', secret === undefined ? {} : { ExtIdpAuthResumeSecret: secret }, {
    query: params instanceof URLSearchParams ? Object.fromEntries(params) : params,
    ...options,
  });

/** The tenant's userinfo, with `token` as Bearer. */
export const userinfo = async (gatehouse: RunningGatehouse, tenantId: string, token: string) => {
  const response = await fetch(`${gatehouse.issuer(tenantId)}/userinfo`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

/** No secret of a login (state, session id, code, link token, access token) appears in any log line. */
export const expectNotLogged = (gatehouse: RunningGatehouse, secrets: readonly string[]) => {
  const logs = gatehouse.logs.join('\n');
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(5);
    expect(logs.includes(secret), `a log line contains ${secret.slice(0, 8)}…`).toBe(false);
  }
};
