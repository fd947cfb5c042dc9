import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/registry.js';
import { type EmulatorHarness, startEmulator } from '../harness/emulator.js';
import { oidcConnectorSuite } from './oidc-suite.js';
import { aConnection, anUpstreamRequest, expectConnectorError, testDeps } from './support.js';

let idp: EmulatorHarness;
beforeAll(async () => {
  idp = await startEmulator();
  await idp.registerApp({ provider: 'oidc', clientId: 'gatehouse-web', clientSecret: 'test-secret' });
});
afterAll(async () => {
  await idp.close();
});

oidcConnectorSuite({
  kind: 'oidc',
  idp: () => idp,
  pkce: true,
  connection: { settings: { issuer: 'https://idp.example' } },
  foreignIssuer: () => ({
    issuer: 'https://elsewhere.example',
    authorization: `${idp.url}/oidc/authorize`,
    token: `${idp.url}/oidc/token`,
    jwks: `${idp.url}/oidc/jwks`,
  }),
});

describe('oidc connector: discovery', () => {
  it('finds its endpoints from the issuer discovery document', async () => {
    const connector = createConnector(
      aConnection('oidc', { settings: { issuer: `${idp.url}/oidc` } }),
      testDeps().deps,
    );
    const url = await connector.authorizationUrl(anUpstreamRequest());
    expect(url.toString().startsWith(`${idp.url}/oidc/authorize?`)).toBe(true);
  });

  it('fails with idp_unavailable when the discovery document names another issuer', async () => {
    const connector = createConnector(
      aConnection('oidc', {
        settings: { issuer: 'https://idp.example' },
        endpoints: { discovery: `${idp.url}/oidc/.well-known/openid-configuration` },
      }),
      testDeps().deps,
    );
    await expectConnectorError(connector.authorizationUrl(anUpstreamRequest()), 'idp_unavailable');
  });

  it('refuses an http issuer when insecure upstreams are not allowed', () => {
    expect(() =>
      createConnector(
        aConnection('oidc', { settings: { issuer: `${idp.url}/oidc` } }),
        testDeps({ allowInsecureUpstreams: false }).deps,
      ),
    ).toThrowError(/https/);
  });
});
