import { generateKeyPairSync } from 'node:crypto';
import * as jose from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { adminApi } from '../admin/admin-api.js';
import { obtainCode, postForm, redirectUri, setUpTenant, type TestTenant, webTokens } from './fixture.js';

// OIDC Discovery 1.0 §3: RS256 must be supported for ID tokens. OIDC Dynamic Client Registration §2:
// `id_token_signed_response_alg` defaults to RS256.

let gatehouse: RunningGatehouse;
let tenant: TestTenant;
let es256Secret: string;

beforeAll(async () => {
  gatehouse = await startGatehouse();
  tenant = await setUpTenant(gatehouse, 'algs');
  const es256 = await gatehouse.core.clients.create(tenant.id, {
    clientId: 'algs-es256',
    redirectUris: [redirectUri],
    grantTypes: ['authorization_code'],
    settings: { idTokenSignedResponseAlg: 'ES256' },
  });
  es256Secret = es256.clientSecret as string;
});
afterAll(async () => {
  await gatehouse?.close();
});

const jwksOf = (issuer: string) => jose.createRemoteJWKSet(new URL(`${issuer}/jwks`));

describe('the signing keys of a tenant', () => {
  it('publishes an RS256 (2048-bit) and an ES256 key, each active and next, without private parts', async () => {
    const { keys } = (await (await fetch(`${tenant.issuer}/jwks`)).json()) as { keys: jose.JWK[] };
    const rsa = keys.filter((k) => k.alg === 'RS256');
    const ec = keys.filter((k) => k.alg === 'ES256');
    expect(rsa).toHaveLength(2);
    expect(ec).toHaveLength(2);
    for (const key of rsa) {
      expect(key).toMatchObject({ kty: 'RSA', e: 'AQAB', use: 'sig' });
      expect(Buffer.from(key.n as string, 'base64url').length * 8).toBe(2048);
    }
    for (const key of ec) expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig' });
    for (const key of keys)
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(secret);
  });

  it('says in discovery which ID token algorithms it supports, RS256 first', async () => {
    const metadata = (await (await fetch(`${tenant.issuer}/.well-known/openid-configuration`)).json()) as {
      id_token_signing_alg_values_supported: string[];
    };
    expect(metadata.id_token_signing_alg_values_supported).toEqual(['RS256', 'ES256']);
  });
});

describe('ID tokens', () => {
  it('are RS256 by default, verifiable from the JWKS by a verifier that accepts only RS256; access tokens stay ES256', async () => {
    const { tokens } = await webTokens(tenant);
    const idToken = await jose.jwtVerify(tokens.id_token, jwksOf(tenant.issuer), {
      issuer: tenant.issuer,
      audience: tenant.web.clientId,
      algorithms: ['RS256'],
    });
    expect(idToken.protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const access = await jose.jwtVerify(tokens.access_token, jwksOf(tenant.issuer), {
      issuer: tenant.issuer,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    expect(access.protectedHeader.alg).toBe('ES256');
    // The access token still works where the tenant reads it.
    const userinfo = await fetch(`${tenant.issuer}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.status).toBe(200);
  });

  it('are ES256 for a client that registered it', async () => {
    const { code, verifier } = await obtainCode(tenant, 'algs-es256');
    const response = await postForm(
      `${tenant.issuer}/token`,
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
      { basic: { clientId: 'algs-es256', secret: es256Secret } },
    );
    expect(response.status).toBe(200);
    const { id_token } = response.body as { id_token: string };
    const verified = await jose.jwtVerify(id_token, jwksOf(tenant.issuer), {
      issuer: tenant.issuer,
      audience: 'algs-es256',
      algorithms: ['ES256'],
    });
    expect(verified.protectedHeader.alg).toBe('ES256');
  });

  it('are signed with the new key of their algorithm after a rotation, the old one still published', async () => {
    const before = (await webTokens(tenant)).tokens.id_token;
    await gatehouse.core.keys.rotate(tenant.id);
    const after = (await webTokens(tenant)).tokens.id_token;
    expect(jose.decodeProtectedHeader(after).kid).not.toBe(jose.decodeProtectedHeader(before).kid);
    const jwks = jwksOf(tenant.issuer);
    for (const token of [before, after])
      await expect(jose.jwtVerify(token, jwks, { algorithms: ['RS256'] })).resolves.toBeDefined();
  });

  it('as an id_token_hint, are accepted in either algorithm', async () => {
    const { tokens } = await webTokens(tenant);
    expect(jose.decodeProtectedHeader(tokens.id_token).alg).toBe('RS256');
    await expect(gatehouse.core.tokens.verifyIdTokenHint(tenant.id, tokens.id_token)).resolves.toMatchObject({
      subject: tenant.user.id,
      clientId: tenant.web.clientId,
    });
  });

  it('cannot stand in for an access token: an RS256 JWT is refused at userinfo', async () => {
    const { tokens } = await webTokens(tenant);
    const response = await fetch(`${tenant.issuer}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.id_token}` },
    });
    expect(response.status).toBe(401);
  });
});

describe('a tenant whose keys predate RS256', () => {
  it('gets its RS256 keys the first time its keys are loaded, keeping its ES256 keys and kids', async () => {
    const id = 'algs-legacy';
    await gatehouse.core.tenants.create({ id });
    const { secretBox } = gatehouse;
    const legacy = (state: 'active' | 'next') => {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const kid = `legacy-${state}`;
      return {
        kid,
        tenant_id: id,
        alg: 'ES256',
        state,
        public_jwk: JSON.stringify({ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }),
        private_key_enc: secretBox.seal(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string),
        activated_at: state === 'active' ? new Date() : null,
      };
    };
    await gatehouse.storage.db
      .insertInto('signing_keys')
      .values([legacy('active'), legacy('next')])
      .execute();

    const issuer = gatehouse.issuer(id);
    const { keys } = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: jose.JWK[] };
    expect(keys.map((k) => `${k.alg} ${k.kid}`)).toEqual(
      expect.arrayContaining(['ES256 legacy-active', 'ES256 legacy-next']),
    );
    expect(keys.filter((k) => k.alg === 'RS256')).toHaveLength(2);
    const states = (await gatehouse.core.keys.list(id)).map((k) => `${k.alg} ${k.state}`);
    expect(states.sort()).toEqual(['ES256 active', 'ES256 next', 'RS256 active', 'RS256 next']);

    // Access tokens go on being signed by the key relying parties already hold.
    const service = await gatehouse.core.clients.create(id, {
      clientId: 'algs-legacy-service',
      grantTypes: ['client_credentials'],
    });
    const response = await postForm(
      `${issuer}/token`,
      { grant_type: 'client_credentials' },
      { basic: { clientId: 'algs-legacy-service', secret: service.clientSecret as string } },
    );
    expect(response.status).toBe(200);
    expect(jose.decodeProtectedHeader((response.body as { access_token: string }).access_token).kid).toBe(
      'legacy-active',
    );
  });
});

describe('the idTokenSignedResponseAlg client setting', () => {
  it('is validated on create and update with an error naming the field and the allowed values', async () => {
    const api = adminApi(gatehouse);
    const created = await api.post(`/admin/tenants/${tenant.id}/clients`, {
      clientId: 'algs-hs256',
      settings: { idTokenSignedResponseAlg: 'HS256' },
    });
    expect(created.status).toBe(400);
    expect(JSON.stringify(created.body)).toMatch(/settings\.idTokenSignedResponseAlg.*RS256\|ES256/);
    expect(await gatehouse.core.clients.find('algs-hs256')).toBeUndefined();

    const ok = await api.post(`/admin/tenants/${tenant.id}/clients`, {
      clientId: 'algs-admin',
      settings: { idTokenSignedResponseAlg: 'ES256' },
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ settings: { idTokenSignedResponseAlg: 'ES256' } });

    const patched = await api.patch(`/admin/tenants/${tenant.id}/clients/algs-admin`, {
      settings: { idTokenSignedResponseAlg: 'none' },
    });
    expect(patched.status).toBe(400);
    expect((await gatehouse.core.clients.find('algs-admin'))?.settings.idTokenSignedResponseAlg).toBe('ES256');

    await expect(
      gatehouse.core.clients.create(tenant.id, {
        clientId: 'algs-core',
        settings: { idTokenSignedResponseAlg: 'PS256' },
      }),
    ).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/idTokenSignedResponseAlg/) });
  });
});
