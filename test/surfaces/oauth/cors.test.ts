import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { adminApi } from '../admin/admin-api.js';
import { authorizeUrl, postForm, redirectUri, setUpTenant, type TestTenant, webTokens } from './fixture.js';

// The Fetch standard's CORS protocol: a browser lets a script of another origin read a response only when it carries
// `Access-Control-Allow-Origin` naming that origin (or `*` without credentials).

const app = 'https://app.cors.example';
const partner = 'https://partner.cors.example';
const stranger = 'https://stranger.example';

let gatehouse: RunningGatehouse;
let tenant: TestTenant;
let other: TestTenant;
let appSecret: string;

beforeAll(async () => {
  gatehouse = await startGatehouse();
  tenant = await setUpTenant(gatehouse, 'cors');
  other = await setUpTenant(gatehouse, 'cors-other');
  const created = await gatehouse.core.clients.create(tenant.id, {
    clientId: 'cors-app',
    redirectUris: [redirectUri],
    grantTypes: ['client_credentials'],
    settings: { allowedOrigins: [app] },
  });
  appSecret = created.clientSecret as string;
  await gatehouse.core.clients.create(tenant.id, {
    clientId: 'cors-partner',
    public: true,
    redirectUris: [redirectUri],
    settings: { allowedOrigins: [partner] },
  });
  await gatehouse.core.clients.create(other.id, {
    clientId: 'cors-other-app',
    public: true,
    redirectUris: [redirectUri],
    settings: { allowedOrigins: [stranger] },
  });
});
afterAll(async () => {
  await gatehouse?.close();
});

const preflight = (url: string, origin: string, method = 'POST', headers = 'authorization, content-type') =>
  fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
  });

describe('the public documents', () => {
  it.each([
    '/.well-known/openid-configuration',
    '/jwks',
  ])('%s may be read by any origin, without credentials, every time', async (path) => {
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${tenant.issuer}${path}`, { headers: { origin: stranger } });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    }
    const pre = await preflight(`${tenant.issuer}${path}`, stranger, 'GET', '');
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toBe('GET');
  });

  it('RFC 8414 metadata may be read by any origin', async () => {
    const response = await fetch(`${gatehouse.url}/.well-known/oauth-authorization-server/t/${tenant.id}`, {
      headers: { origin: stranger },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('POST /token from another origin', () => {
  const clientCredentials = (origin: string, clientId = 'cors-app', secret = appSecret) =>
    postForm(
      `${tenant.issuer}/token`,
      { grant_type: 'client_credentials' },
      { basic: { clientId, secret }, headers: { origin } },
    );

  it('answers its preflight for an origin a client of the tenant registered', async () => {
    const response = await preflight(`${tenant.issuer}/token`, app);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(app);
    expect(response.headers.get('access-control-allow-methods')).toBe('POST');
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('vary')).toMatch(/Origin/);
  });

  it('answers the preflight of any other origin or method without CORS headers', async () => {
    for (const response of [
      await preflight(`${tenant.issuer}/token`, stranger),
      await preflight(`${other.issuer}/token`, app),
      await preflight(`${tenant.issuer}/token`, app, 'DELETE'),
    ]) {
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-methods')).toBeNull();
      expect(response.headers.get('vary')).toMatch(/Origin/);
    }
  });

  it('lets the client’s own origin read the answer, success or error', async () => {
    const ok = await clientCredentials(app);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(app);
    expect(ok.headers.get('vary')).toMatch(/Origin/);
    const refused = await postForm(
      `${tenant.issuer}/token`,
      { grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' },
      { basic: { clientId: 'cors-app', secret: appSecret }, headers: { origin: app } },
    );
    expect(refused.status).toBe(400);
    expect(refused.headers.get('access-control-allow-origin')).toBe(app);
  });

  it('never lets an origin read the answer to a client that did not register it', async () => {
    // The partner's origin is the tenant's, but not this client's.
    const partners = await clientCredentials(partner);
    expect(partners.status).toBe(200);
    expect(partners.headers.get('access-control-allow-origin')).toBeNull();
    const strangers = await clientCredentials(stranger);
    expect(strangers.headers.get('access-control-allow-origin')).toBeNull();
    // The same client id in another tenant is not this tenant's client.
    const elsewhere = await postForm(
      `${other.issuer}/token`,
      { grant_type: 'client_credentials' },
      { basic: { clientId: 'cors-app', secret: appSecret }, headers: { origin: app } },
    );
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('adds nothing to a request without Origin', async () => {
    const response = await postForm(
      `${tenant.issuer}/token`,
      { grant_type: 'client_credentials' },
      { basic: { clientId: 'cors-app', secret: appSecret } },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('vary')).toBeNull();
  });
});

describe('userinfo, revoke and introspect from another origin', () => {
  it('let any origin a client of the tenant registered read them, and no other', async () => {
    const { tokens } = await webTokens(tenant);
    const userinfo = (origin: string) =>
      fetch(`${tenant.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}`, origin } });
    for (const origin of [app, partner]) {
      const response = await userinfo(origin);
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    }
    expect((await userinfo(stranger)).headers.get('access-control-allow-origin')).toBeNull();

    const challenge = await fetch(`${tenant.issuer}/userinfo`, { headers: { origin: partner } });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('access-control-allow-origin')).toBe(partner);
    expect(challenge.headers.get('access-control-expose-headers')).toMatch(/www-authenticate/);

    const userinfoPreflight = await preflight(`${tenant.issuer}/userinfo`, partner, 'GET', 'authorization');
    expect(userinfoPreflight.status).toBe(204);
    expect(userinfoPreflight.headers.get('access-control-allow-methods')).toBe('GET, POST');

    for (const path of ['/revoke', '/introspect']) {
      const allowed = await preflight(`${tenant.issuer}${path}`, partner);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(partner);
      const response = await postForm(
        `${tenant.issuer}${path}`,
        { token: tokens.refresh_token },
        { basic: { clientId: tenant.web.clientId, secret: tenant.web.secret }, headers: { origin: partner } },
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(partner);
      const refused = await preflight(`${tenant.issuer}${path}`, stranger);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});

describe('what stays closed to other origins', () => {
  it('authorize, logout, the admin API and the pages get no CORS headers and no preflight', async () => {
    const authorize = await fetch(authorizeUrl(tenant.issuer, { client_id: 'cors-partner' }), {
      headers: { origin: partner },
      redirect: 'manual',
    });
    expect(authorize.headers.get('access-control-allow-origin')).toBeNull();
    for (const url of [`${tenant.issuer}/authorize`, `${tenant.issuer}/logout`, `${gatehouse.url}/admin/tenants`]) {
      const response = await preflight(url, partner, 'GET');
      // No route: the surface's 404, or the admin API's 401 before any route is looked for.
      expect([401, 404]).toContain(response.status);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
    const admin = await fetch(`${gatehouse.url}/admin/tenants`, {
      headers: { origin: partner, authorization: `Bearer ${gatehouse.adminToken}` },
    });
    expect(admin.status).toBe(200);
    expect(admin.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the allowedOrigins client setting', () => {
  it.each([
    ['a path', 'https://app.example.com/'],
    ['a wildcard', '*'],
    ['a wildcard host', 'https://*.example.com'],
    ['upper case', 'https://App.example.com'],
    ['the default port', 'https://app.example.com:443'],
    ['no scheme', 'app.example.com'],
  ])('refuses an origin with %s, naming the field', async (_what, origin) => {
    const response = await adminApi(gatehouse).post(`/admin/tenants/${tenant.id}/clients`, {
      clientId: 'cors-refused',
      settings: { allowedOrigins: [origin] },
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain('settings.allowedOrigins');
    expect(await gatehouse.core.clients.find('cors-refused')).toBeUndefined();
  });

  it('is accepted on create and update, shown, and used at once by this instance', async () => {
    const api = adminApi(gatehouse);
    const origins = ['http://localhost:5173', 'https://shop.example.com', 'http://[::1]:8080'];
    const created = await api.post(`/admin/tenants/${tenant.id}/clients`, {
      clientId: 'cors-admin',
      public: true,
      redirectUris: [redirectUri],
      settings: { allowedOrigins: origins },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ settings: { allowedOrigins: origins } });
    const patched = await api.patch(`/admin/tenants/${tenant.id}/clients/cors-admin`, {
      settings: { allowedOrigins: ['https://new.example.com'] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ settings: { allowedOrigins: ['https://new.example.com'] } });
    const response = await postForm(
      `${tenant.issuer}/token`,
      {
        grant_type: 'authorization_code',
        code: 'not-a-code',
        redirect_uri: redirectUri,
        client_id: 'cors-admin',
        code_verifier: 'x'.repeat(43),
      },
      { headers: { origin: 'https://new.example.com' } },
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://new.example.com');
  });
});
