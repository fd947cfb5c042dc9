import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/connectors/connector.js';
import { ConnectorError } from '../../src/connectors/errors.js';
import { createConnector } from '../../src/connectors/registry.js';
import { type EmulatorHarness, startEmulator } from '../harness/emulator.js';
import { aConnection, anUpstreamRequest, expectConnectorError, testDeps } from './support.js';

let idp: EmulatorHarness;
beforeAll(async () => {
  idp = await startEmulator();
  await idp.registerApp({ provider: 'facebook', clientId: '1234567890', clientSecret: 'app-secret' });
});
afterAll(async () => {
  await idp.close();
});

const facebookConnection = (overrides: Partial<ConnectionConfig> = {}) =>
  aConnection('facebook', { clientId: '1234567890', clientSecret: 'app-secret', emulator: idp.url, ...overrides });

const setup = (overrides: Partial<ConnectionConfig> = {}, options: { timeoutMs?: number } = {}) => {
  const { deps, clock } = testDeps(options);
  return { connector: createConnector(facebookConnection(overrides), deps), clock };
};

describe('facebook connector: login dialog', () => {
  it('returns the Graph profile when the user signs in through the dialog', async () => {
    const { connector } = setup();
    const request = anUpstreamRequest();
    const url = await connector.authorizationUrl(request);
    expect(url.pathname).toMatch(/\/facebook\/v\d+\.\d+\/dialog\/oauth$/);
    expect(url.searchParams.get('scope')).toBe('email,public_profile');
    const callback = await idp.signIn(url, 'alice');
    const profile = await connector.completeAuthorization(callback, request);
    expect(profile).toEqual({
      idp: 'facebook-test',
      kind: 'facebook',
      issuer: `${idp.url}/facebook`,
      subject: '1000001',
      email: 'alice@example.com',
      emailVerified: false,
      givenName: 'Alice',
      familyName: 'Liddell',
      displayName: 'Alice Liddell',
      raw: {
        id: '1000001',
        name: 'Alice Liddell',
        email: 'alice@example.com',
        first_name: 'Alice',
        last_name: 'Liddell',
      },
    });
  });

  it('counts the email as verified when the connection trusts Facebook emails', async () => {
    const { connector } = setup({ trustEmail: true });
    const request = anUpstreamRequest();
    const profile = await connector.completeAuthorization(
      await idp.signIn(await connector.authorizationUrl(request), 'alice'),
      request,
    );
    expect(profile.emailVerified).toBe(true);
  });

  it('fails with idp_error when the user declines the dialog', async () => {
    const { connector } = setup();
    const request = anUpstreamRequest();
    const callback = await idp.signIn(await connector.authorizationUrl(request), 'alice', { deny: '1' });
    const error = await expectConnectorError(connector.completeAuthorization(callback, request), 'idp_error');
    expect(error.details).toEqual({ error: 'access_denied' });
  });

  it('rejects the callback when its state belongs to another login flow', async () => {
    const { connector } = setup();
    const request = anUpstreamRequest();
    const callback = await idp.signIn(await connector.authorizationUrl(request), 'alice');
    await expectConnectorError(connector.completeAuthorization(callback, anUpstreamRequest()), 'state_mismatch');
  });

  it('rejects an authorization code when it is redeemed twice', async () => {
    const { connector } = setup();
    const request = anUpstreamRequest();
    const callback = await idp.signIn(await connector.authorizationUrl(request), 'alice');
    await connector.completeAuthorization(callback, request);
    await expectConnectorError(connector.completeAuthorization(callback, request), 'invalid_token');
  });
});

describe('facebook connector: native access tokens', () => {
  it('returns the profile when the token was issued to the app', async () => {
    const { connector } = setup();
    const { access_token } = await idp.mint('facebook', {
      clientId: '1234567890',
      sub: '20001',
      email: 'native@example.com',
      givenName: 'Nat',
      familyName: 'Ive',
    });
    const profile = await connector.verifyToken({ kind: 'access_token', value: String(access_token) });
    expect(profile).toMatchObject({
      subject: '20001',
      email: 'native@example.com',
      emailVerified: false,
      givenName: 'Nat',
    });
  });

  it('rejects a token with idp_wrong_audience when it was issued to another app', async () => {
    const { connector } = setup();
    const { access_token } = await idp.mint('facebook', { clientId: 'another-app', sub: '20002' });
    await expectConnectorError(
      connector.verifyToken({ kind: 'access_token', value: String(access_token) }),
      'wrong_audience',
    );
  });

  it('rejects a token with idp_wrong_audience when the caller names an app the connection does not have', async () => {
    const { connector } = setup();
    const { access_token } = await idp.mint('facebook', { clientId: '1234567890', sub: '20003' });
    await expectConnectorError(
      connector.verifyToken({ kind: 'access_token', value: String(access_token), clientId: 'another-app' }),
      'wrong_audience',
    );
  });

  it('rejects a token when the clock is past its expiry', async () => {
    const { connector, clock } = setup();
    const { access_token } = await idp.mint('facebook', { clientId: '1234567890', sub: '20004' });
    clock.advance(2 * 3600 * 1000);
    await expectConnectorError(
      connector.verifyToken({ kind: 'access_token', value: String(access_token) }),
      'invalid_token',
    );
  });

  it('rejects a token when Facebook says it is no longer valid', async () => {
    const { connector } = setup();
    const { access_token } = await idp.mint('facebook', { clientId: '1234567890', sub: '20005', expiresIn: -60 });
    await expectConnectorError(
      connector.verifyToken({ kind: 'access_token', value: String(access_token) }),
      'invalid_token',
    );
  });

  it('rejects a token Facebook never issued', async () => {
    const { connector } = setup();
    await expectConnectorError(connector.verifyToken({ kind: 'access_token', value: 'EAAGmadeup' }), 'invalid_token');
  });

  it('returns a profile without email when the user shared none', async () => {
    const { connector } = setup({ trustEmail: true });
    const { access_token } = await idp.mint('facebook', { clientId: '1234567890', sub: '20006', name: 'No Mail' });
    const profile = await connector.verifyToken({ kind: 'access_token', value: String(access_token) });
    expect(profile.email).toBeUndefined();
    expect(profile.emailVerified).toBe(false);
    expect(profile.displayName).toBe('No Mail');
  });

  it('reuses a verified token result while Graph is down, until the cache window ends', async () => {
    const { connector, clock } = setup();
    const { access_token } = await idp.mint('facebook', { clientId: '1234567890', sub: '20007' });
    const token = { kind: 'access_token', value: String(access_token) } as const;
    await connector.verifyToken(token);
    await idp.control({ provider: 'facebook', mode: 'down' });
    try {
      await expect(connector.verifyToken(token)).resolves.toMatchObject({ subject: '20007' });
      clock.advance(61_000);
      const error = await expectConnectorError(connector.verifyToken(token), 'idp_unavailable');
      expect(error).toBeInstanceOf(ConnectorError);
      expect((error as ConnectorError).step).toBe('token_introspection');
      expect((error as ConnectorError).upstreamStatus).toBe(503);
    } finally {
      await idp.control({ provider: 'facebook', mode: 'normal' });
    }
  });

  it('fails with idp_unavailable instead of hanging when Graph is slow', { timeout: 10_000 }, async () => {
    const { connector } = setup({}, { timeoutMs: 300 });
    const { access_token } = await idp.mint('facebook', { clientId: '1234567890', sub: '20008' });
    await idp.control({ provider: 'facebook', mode: 'slow', slowMs: 60_000 });
    try {
      const error = await expectConnectorError(
        connector.verifyToken({ kind: 'access_token', value: String(access_token) }),
        'idp_unavailable',
      );
      expect(error.message).toContain('300 ms');
    } finally {
      await idp.control({ provider: 'facebook', mode: 'normal' });
    }
  });
});

describe('facebook connector: Limited Login ID tokens', () => {
  it('returns the profile when the token carries the bound nonce', async () => {
    const { connector } = setup();
    const { id_token } = await idp.mint('facebook', {
      clientId: '1234567890',
      sub: '30001',
      email: 'limited@example.com',
      nonce: 'n-1',
    });
    const profile = await connector.verifyToken({ kind: 'id_token', value: String(id_token), nonce: 'n-1' });
    expect(profile).toMatchObject({
      issuer: `${idp.url}/facebook`,
      subject: '30001',
      email: 'limited@example.com',
      emailVerified: false,
    });
  });

  it('rejects a token when its nonce differs from the bound one', async () => {
    const { connector } = setup();
    const { id_token } = await idp.mint('facebook', { clientId: '1234567890', sub: '30002', nonce: 'n-1' });
    await expectConnectorError(
      connector.verifyToken({ kind: 'id_token', value: String(id_token), nonce: 'n-2' }),
      'invalid_token',
    );
  });

  it('rejects a token with idp_wrong_audience when it was issued to another app', async () => {
    const { connector } = setup();
    const { id_token } = await idp.mint('facebook', { clientId: 'another-app', sub: '30003' });
    await expectConnectorError(connector.verifyToken({ kind: 'id_token', value: String(id_token) }), 'wrong_audience');
  });

  it('rejects a token when its signature does not verify', async () => {
    const { connector } = setup();
    await idp.control({ provider: 'facebook', mode: 'bad_signature' });
    let idToken: string;
    try {
      idToken = String((await idp.mint('facebook', { clientId: '1234567890', sub: '30004' })).id_token);
    } finally {
      await idp.control({ provider: 'facebook', mode: 'normal' });
    }
    const error = await expectConnectorError(
      connector.verifyToken({ kind: 'id_token', value: idToken }),
      'invalid_token',
    );
    expect(error.message).toContain('signature');
  });

  it('accepts a token signed with a new key when the JWKS is refetched after a rotation', async () => {
    const { connector } = setup();
    const before = await idp.mint('facebook', { clientId: '1234567890', sub: '30005' });
    await connector.verifyToken({ kind: 'id_token', value: String(before.id_token) });
    await idp.control({ provider: 'facebook', rotateKeys: true });
    const after = await idp.mint('facebook', { clientId: '1234567890', sub: '30005' });
    await expect(connector.verifyToken({ kind: 'id_token', value: String(after.id_token) })).resolves.toMatchObject({
      subject: '30005',
    });
  });
});
