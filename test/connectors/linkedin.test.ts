import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/registry.js';
import { type EmulatorHarness, startEmulator } from '../harness/emulator.js';
import { oidcConnectorSuite } from './oidc-suite.js';
import { aConnection, anUpstreamRequest, testDeps } from './support.js';

let idp: EmulatorHarness;
beforeAll(async () => {
  idp = await startEmulator();
  await idp.registerApp({ provider: 'linkedin', clientId: 'gatehouse-web', clientSecret: 'test-secret' });
});
afterAll(async () => {
  await idp.close();
});

oidcConnectorSuite({
  kind: 'linkedin',
  idp: () => idp,
  pkce: false,
  echoesNonce: false,
  foreignIssuer: () => ({ issuer: 'https://www.linkedin.com/oauth' }),
});

describe('linkedin connector: LinkedIn specifics', () => {
  it('completes the redirect flow when LinkedIn leaves the nonce out of the ID token', async () => {
    const connector = createConnector(aConnection('linkedin', { emulator: idp.url }), testDeps().deps);
    const request = anUpstreamRequest();
    const url = await connector.authorizationUrl(request);
    expect(url.searchParams.get('scope')).toBe('openid profile email');
    const profile = await connector.completeAuthorization(await idp.signIn(url, 'alice'), request);
    expect(profile).toMatchObject({ subject: '1000001', emailVerified: true });
    expect(profile.raw.nonce).toBeUndefined();
  });
});
