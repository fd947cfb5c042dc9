import * as jose from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../src/core/errors.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { postForm, setUpTenant, type TestTenant } from './fixture.js';

let gatehouse: RunningGatehouse;
let tenant: TestTenant;

beforeAll(async () => {
  gatehouse = await startGatehouse();
  tenant = await setUpTenant(gatehouse, 'keys');
});
afterAll(async () => {
  await gatehouse?.close();
});

const clientCredentialsToken = async () => {
  const response = await postForm(
    `${tenant.issuer}/token`,
    { grant_type: 'client_credentials', scope: 'orders:read' },
    { basic: { clientId: tenant.service.clientId, secret: tenant.service.secret } },
  );
  return (response.body as { access_token: string }).access_token;
};

describe('GET /t/:tenant/jwks across a key rotation', () => {
  it('serves the published keys, cacheable', async () => {
    const response = await fetch(`${tenant.issuer}/jwks`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const { keys } = (await response.json()) as { keys: jose.JWK[] };
    expect(keys.map((k) => k.alg)).toEqual(['RS256', 'RS256', 'ES256', 'ES256']);
    for (const key of keys) {
      expect(key).toMatchObject(key.alg === 'RS256' ? { kty: 'RSA' } : { kty: 'EC', crv: 'P-256' });
      expect(key.use).toBe('sig');
      expect(key).not.toHaveProperty('d');
    }
  });

  it('keeps old tokens verifying and signs new ones with the key published before the rotation', async () => {
    const jwksUrl = new URL(`${tenant.issuer}/jwks`);
    const cachedBefore = jose.createRemoteJWKSet(jwksUrl);
    const published = ((await (await fetch(jwksUrl)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    const options = { issuer: tenant.issuer, audience: tenant.issuer, typ: 'at+jwt', algorithms: ['ES256'] };

    const before = await clientCredentialsToken();
    const oldKid = jose.decodeProtectedHeader(before).kid;
    await jose.jwtVerify(before, cachedBefore, options);

    await gatehouse.core.keys.rotate(tenant.id);

    const after = await clientCredentialsToken();
    const newKid = jose.decodeProtectedHeader(after).kid;
    expect(newKid).not.toBe(oldKid);
    expect(published).toContain(newKid);

    // A verifier that fetched the JWKS before the rotation already has the new key; a fresh one still has the old.
    await expect(jose.jwtVerify(after, cachedBefore, options)).resolves.toBeDefined();
    const fresh = jose.createRemoteJWKSet(jwksUrl);
    await expect(jose.jwtVerify(before, fresh, options)).resolves.toBeDefined();
    await expect(jose.jwtVerify(after, fresh, options)).resolves.toBeDefined();

    const introspection = await postForm(
      `${tenant.issuer}/introspect`,
      { token: before },
      { basic: { clientId: tenant.web.clientId, secret: tenant.web.secret } },
    );
    expect(introspection.body).toMatchObject({ active: true, client_id: tenant.service.clientId });
  });
});

describe('GET /t/:tenant/jwks when the keys cannot be read', () => {
  it('answers with the surface’s JSON error, whatever the failure', async () => {
    const keys = gatehouse.core.keys as {
      jwksJson: (tenantId: string) => Promise<string>;
      cachedJwksJson: (tenantId: string) => string | undefined;
    };
    const original = { jwksJson: keys.jwksJson, cachedJwksJson: keys.cachedJwksJson };
    try {
      // An instance that holds no keys for the tenant and cannot load them.
      keys.cachedJwksJson = () => undefined;
      keys.jwksJson = () => Promise.reject(new GatehouseError('storage_unavailable', 'the database is down'));
      const down = await fetch(`${tenant.issuer}/jwks`);
      expect(down.status).toBe(503);
      expect(down.headers.get('cache-control')).toBe('no-store');
      expect(await down.json()).toEqual({
        error: 'temporarily_unavailable',
        error_description: 'The database or cache is unreachable.',
      });
      keys.jwksJson = () => Promise.reject('not an Error');
      const odd = await fetch(`${tenant.issuer}/jwks`);
      expect(odd.status).toBe(500);
      expect(await odd.json()).toMatchObject({ error: 'server_error' });
    } finally {
      Object.assign(keys, original);
    }
    expect((await fetch(`${tenant.issuer}/jwks`)).status).toBe(200);
  });
});
