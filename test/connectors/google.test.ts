import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/registry.js';
import { type EmulatorHarness, startEmulator } from '../harness/emulator.js';
import { oidcConnectorSuite } from './oidc-suite.js';
import { aConnection, anUpstreamRequest, expectConnectorError, testDeps } from './support.js';

let idp: EmulatorHarness;
beforeAll(async () => {
  idp = await startEmulator();
  await idp.registerApp({ provider: 'google', clientId: 'gatehouse-web', clientSecret: 'test-secret' });
});
afterAll(async () => {
  await idp.close();
});

oidcConnectorSuite({
  kind: 'google',
  idp: () => idp,
  pkce: true,
  foreignIssuer: () => ({ issuer: 'https://accounts.google.com' }),
});

describe('google connector: Google specifics', () => {
  const connector = (settings: Record<string, unknown> = {}) =>
    createConnector(aConnection('google', { emulator: idp.url, settings }), testDeps().deps);

  it('accepts a Workspace account when its hd claim is the required domain', async () => {
    const { id_token } = await idp.mint('google', {
      clientId: 'gatehouse-web',
      sub: 'g-1',
      claims: { hd: 'example.com' },
    });
    await expect(
      connector({ hostedDomain: 'example.com' }).verifyToken({ kind: 'id_token', value: String(id_token) }),
    ).resolves.toMatchObject({ subject: 'g-1' });
  });

  it('denies a consumer account when a hosted domain is required', async () => {
    const { id_token } = await idp.mint('google', { clientId: 'gatehouse-web', sub: 'g-2' });
    await expectConnectorError(
      connector({ hostedDomain: 'example.com' }).verifyToken({ kind: 'id_token', value: String(id_token) }),
      'access_denied',
    );
  });

  it('asks Google for the hosted domain when one is required', async () => {
    const url = await connector({ hostedDomain: 'example.com' }).authorizationUrl(anUpstreamRequest());
    expect(url.searchParams.get('hd')).toBe('example.com');
    expect(url.searchParams.get('scope')).toBe('openid email profile');
  });

  it('rejects a token with idp_wrong_audience when azp names another client', async () => {
    const { id_token } = await idp.mint('google', {
      clientId: 'gatehouse-web',
      sub: 'g-3',
      claims: { azp: 'someone-else' },
    });
    await expectConnectorError(
      connector().verifyToken({ kind: 'id_token', value: String(id_token) }),
      'wrong_audience',
    );
  });
});
