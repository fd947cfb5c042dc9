import { createHash, randomBytes } from 'node:crypto';
import { CookieJar, signInThroughPage } from '../../harness/clients.js';
import type { RunningGatehouse } from '../../harness/gatehouse.js';

export const password = 'correct horse battery staple';
export const redirectUri = 'http://127.0.0.1:9/callback';
export const postLogoutRedirectUri = 'http://127.0.0.1:9/signed-out';

/**
 * A tenant with a confidential web client, a public SPA (PKCE), a service client (client_credentials), a client allowed
 * the password grant, and one user, all created through core use-cases.
 */
export const setUpTenant = async (gatehouse: RunningGatehouse, id: string) => {
  const { core } = gatehouse;
  await core.tenants.create({ id, name: `Tenant ${id}` });
  const web = await core.clients.create(id, {
    clientId: `${id}-web`,
    name: 'Web shop',
    redirectUris: [redirectUri],
    grantTypes: ['authorization_code', 'refresh_token'],
    settings: { postLogoutRedirectUris: [postLogoutRedirectUri] },
  });
  const spa = await core.clients.create(id, {
    clientId: `${id}-spa`,
    name: 'Single-page app',
    public: true,
    redirectUris: [redirectUri],
  });
  const service = await core.clients.create(id, {
    clientId: `${id}-service`,
    name: 'Order service',
    grantTypes: ['client_credentials'],
    settings: { scopes: ['orders:read', 'orders:write'] },
  });
  const mobile = await core.clients.create(id, {
    clientId: `${id}-mobile`,
    name: 'Marketplace app',
    grantTypes: ['password', 'refresh_token'],
  });
  const user = await core.users.create(id, {
    email: `alice@${id}.example`,
    password,
    emailVerified: true,
    firstName: 'Alice',
    lastName: 'Liddell',
  });
  return {
    id,
    issuer: gatehouse.issuer(id),
    web: { clientId: web.client.clientId, secret: web.clientSecret as string },
    spa: { clientId: spa.client.clientId },
    service: { clientId: service.client.clientId, secret: service.clientSecret as string },
    mobile: { clientId: mobile.client.clientId, secret: mobile.clientSecret as string },
    user: { id: user.id, email: `alice@${id}.example` },
  };
};

export type TestTenant = Awaited<ReturnType<typeof setUpTenant>>;

/** A PKCE pair (RFC 7636, S256). */
export const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/** An authorization request URL with sensible defaults; `undefined` removes a parameter. */
export const authorizeUrl = (issuer: string, params: Record<string, string | undefined>): string => {
  const url = new URL(`${issuer}/authorize`);
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    state: 'state-123',
    ...params,
  };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
};

export interface WireResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** A form POST to a tenant endpoint, as a client sends it; the JSON answer parsed (or the text). */
export const postForm = async (
  url: string,
  form: Record<string, string> | URLSearchParams,
  init: { basic?: { clientId: string; secret: string }; headers?: Record<string, string> } = {},
): Promise<WireResponse> => {
  const headers: Record<string, string> = { ...init.headers };
  if (init.basic !== undefined)
    headers.authorization = `Basic ${Buffer.from(
      `${encodeURIComponent(init.basic.clientId)}:${encodeURIComponent(init.basic.secret)}`,
    ).toString('base64')}`;
  const response = await fetch(url, {
    method: 'POST',
    body: form instanceof URLSearchParams ? form : new URLSearchParams(form),
    headers,
    redirect: 'manual',
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body };
};

/**
 * Signs the tenant's user in through the hosted page for `clientId` and returns the authorization code, its PKCE
 * verifier and the cookie jar (holding the SSO session).
 */
export const obtainCode = async (
  tenant: TestTenant,
  clientId: string,
  options: { jar?: CookieJar; scope?: string; nonce?: string } = {},
) => {
  const jar = options.jar ?? new CookieJar();
  const { verifier, challenge } = pkce();
  const url = authorizeUrl(tenant.issuer, {
    client_id: clientId,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scope: options.scope ?? 'openid email profile',
    nonce: options.nonce,
  });
  const { callback } = await signInThroughPage(jar, url, { email: tenant.user.email, password }, redirectUri);
  const code = callback.searchParams.get('code');
  if (code === null) throw new Error(`no code: ${callback.href}`);
  return { code, verifier, jar, callback };
};

/** Signs in as the web client and redeems the code: the first token response. */
export const webTokens = async (tenant: TestTenant, jar?: CookieJar) => {
  const { code, verifier } = await obtainCode(tenant, tenant.web.clientId, jar === undefined ? {} : { jar });
  const response = await postForm(
    `${tenant.issuer}/token`,
    { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
    { basic: { clientId: tenant.web.clientId, secret: tenant.web.secret } },
  );
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}`);
  return {
    code,
    verifier,
    tokens: response.body as { access_token: string; refresh_token: string; id_token: string; scope: string },
  };
};
