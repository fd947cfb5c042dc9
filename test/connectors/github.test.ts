import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/connectors/connector.js';
import type { ConnectorError } from '../../src/connectors/errors.js';
import { createConnector } from '../../src/connectors/registry.js';
import { type EmulatorHarness, startEmulator } from '../harness/emulator.js';
import { aConnection, anUpstreamRequest, expectConnectorError, testDeps } from './support.js';

let idp: EmulatorHarness;
beforeAll(async () => {
  idp = await startEmulator();
  await idp.registerApp({ provider: 'github', clientId: 'gatehouse-web', clientSecret: 'test-secret' });
});
afterAll(async () => {
  await idp.close();
});

const setup = (overrides: Partial<ConnectionConfig> = {}, timeoutMs?: number) => {
  const { deps, clock } = testDeps(timeoutMs === undefined ? {} : { timeoutMs });
  return { connector: createConnector(aConnection('github', { emulator: idp.url, ...overrides }), deps), clock };
};

const signIn = async (testUser: string, extra?: Record<string, string>) => {
  const { connector } = setup();
  const request = anUpstreamRequest();
  const url = await connector.authorizationUrl(request);
  return { connector, request, url, callback: await idp.signIn(url, testUser, extra) };
};

const mint = async (
  sub: string,
  body: { clientId?: string; email?: string; emailVerified?: boolean; scopes?: string[] } = {},
) => String((await idp.mint('github', { clientId: 'gatehouse-web', sub, ...body })).access_token);

describe('github connector: redirect flow', () => {
  it('returns the verified primary email when the user signs in', async () => {
    const { connector, request, url, callback } = await signIn('alice');
    expect(url.searchParams.get('scope')).toBe('read:user user:email');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    const profile = await connector.completeAuthorization(callback, request);
    expect(profile).toMatchObject({
      idp: 'github-test',
      kind: 'github',
      issuer: `${idp.url}/github`,
      subject: '1000001',
      email: 'alice@example.com',
      emailVerified: true,
      displayName: 'Alice Liddell',
    });
  });

  it('returns the primary email as unverified when GitHub has not verified it', async () => {
    const { connector, request, callback } = await signIn('bob');
    await expect(connector.completeAuthorization(callback, request)).resolves.toMatchObject({
      email: 'bob@example.com',
      emailVerified: false,
    });
  });

  it('returns a profile without email when the account has none', async () => {
    const { connector, request, callback } = await signIn('carol');
    const profile = await connector.completeAuthorization(callback, request);
    expect(profile.email).toBeUndefined();
    expect(profile.emailVerified).toBe(false);
  });

  it('fails with idp_error when the user declines', async () => {
    const { connector, request, callback } = await signIn('alice', { deny: '1' });
    await expectConnectorError(connector.completeAuthorization(callback, request), 'idp_error');
  });

  it('rejects a replayed code even though GitHub answers HTTP 200 with an error', async () => {
    const { connector, request, callback } = await signIn('alice');
    await connector.completeAuthorization(callback, request);
    const error = await expectConnectorError(connector.completeAuthorization(callback, request), 'invalid_token');
    expect(error.details).toEqual({ error: 'bad_verification_code' });
  });

  it('rejects the exchange when the PKCE verifier is not the one of the request', async () => {
    const { connector, request, callback } = await signIn('alice');
    await expectConnectorError(
      connector.completeAuthorization(callback, { ...request, codeVerifier: 'x'.repeat(43) }),
      'invalid_token',
    );
  });
});

describe('github connector: native access tokens', () => {
  it('returns the profile when the token was issued to the app', async () => {
    const { connector } = setup();
    const token = await mint('501', { email: 'octo@example.com', emailVerified: true });
    await expect(connector.verifyToken({ kind: 'access_token', value: token })).resolves.toMatchObject({
      subject: '501',
      email: 'octo@example.com',
      emailVerified: true,
    });
  });

  it('rejects a token with idp_wrong_audience when it was issued to another app', async () => {
    const { connector } = setup();
    const token = await mint('502', { clientId: 'another-app' });
    await expectConnectorError(connector.verifyToken({ kind: 'access_token', value: token }), 'wrong_audience');
  });

  it('rejects a token GitHub never issued', async () => {
    const { connector } = setup();
    await expectConnectorError(connector.verifyToken({ kind: 'access_token', value: 'gho_madeup' }), 'invalid_token');
  });

  it('rejects a token when the clock is past its expiry', async () => {
    const { connector, clock } = setup();
    const token = await mint('503');
    clock.advance(2 * 3600 * 1000);
    await expectConnectorError(connector.verifyToken({ kind: 'access_token', value: token }), 'invalid_token');
  });

  it('returns the public email as unverified when the token lacks the user:email scope', async () => {
    const { connector } = setup();
    const token = await mint('504', { email: 'pub@example.com', emailVerified: true, scopes: ['read:user'] });
    await expect(connector.verifyToken({ kind: 'access_token', value: token })).resolves.toMatchObject({
      email: 'pub@example.com',
      emailVerified: false,
    });
  });

  it('rejects an ID token with unsupported_token_type', async () => {
    const { connector } = setup();
    await expectConnectorError(connector.verifyToken({ kind: 'id_token', value: 'a.b.c' }), 'unsupported_token_type');
  });

  it('fails with idp_unavailable when GitHub is down', async () => {
    const { connector } = setup();
    const token = await mint('505');
    await idp.control({ provider: 'github', mode: 'down' });
    try {
      const error = await expectConnectorError(
        connector.verifyToken({ kind: 'access_token', value: token }),
        'idp_unavailable',
      );
      expect((error as ConnectorError).step).toBe('token_introspection');
    } finally {
      await idp.control({ provider: 'github', mode: 'normal' });
    }
  });

  it('fails with idp_unavailable instead of hanging when GitHub is slow', { timeout: 10_000 }, async () => {
    const { connector } = setup({}, 300);
    const token = await mint('506');
    await idp.control({ provider: 'github', mode: 'slow', slowMs: 60_000 });
    try {
      await expectConnectorError(connector.verifyToken({ kind: 'access_token', value: token }), 'idp_unavailable');
    } finally {
      await idp.control({ provider: 'github', mode: 'normal' });
    }
  });
});
