import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/connectors/errors.js';
import { createConnector } from '../../src/connectors/registry.js';
import { type EmulatorHarness, startEmulator } from '../harness/emulator.js';
import { oidcConnectorSuite } from './oidc-suite.js';
import { aConnection, anUpstreamRequest, appleKeyPem, testDeps } from './support.js';

let idp: EmulatorHarness;
beforeAll(async () => {
  idp = await startEmulator();
  for (const clientId of ['com.example.web', 'gatehouse-web']) await idp.registerApp({ provider: 'apple', clientId });
});
afterAll(async () => {
  await idp.close();
});

const appleConnection = {
  clientId: 'com.example.web',
  clientSecret: appleKeyPem(),
  settings: { teamId: 'TEAM123456', keyId: 'KEY1234567' },
};

oidcConnectorSuite({
  kind: 'apple',
  idp: () => idp,
  pkce: false,
  connection: { ...appleConnection, clientId: 'gatehouse-web' },
  foreignIssuer: () => ({ issuer: 'https://appleid.apple.com' }),
});

describe('apple connector: Apple specifics', () => {
  const connector = () =>
    createConnector(aConnection('apple', { emulator: idp.url, ...appleConnection }), testDeps().deps);

  it('takes the name from the user field on the first sign-in only', async () => {
    const apple = connector();
    const first = anUpstreamRequest();
    const url = await apple.authorizationUrl(first);
    expect(url.searchParams.get('response_mode')).toBe('form_post');
    expect(url.searchParams.get('scope')).toBe('name email');
    const callback = await idp.signIn(url, 'alice');
    expect(callback.method).toBe('POST');
    expect(callback.params.get('user')).not.toBeNull();
    const profile = await apple.completeAuthorization(callback, first);
    expect(profile).toMatchObject({
      subject: '1000001',
      email: 'alice@example.com',
      emailVerified: true,
      givenName: 'Alice',
      familyName: 'Liddell',
    });
    expect(profile.raw.email_verified).toBe('true');

    const second = anUpstreamRequest();
    const again = await idp.signIn(await apple.authorizationUrl(second), 'alice');
    expect(again.params.get('user')).toBeNull();
    const later = await apple.completeAuthorization(again, second);
    expect(later.givenName).toBeUndefined();
  });

  it('returns a private-relay email as verified', async () => {
    const apple = connector();
    const request = anUpstreamRequest();
    const profile = await apple.completeAuthorization(
      await idp.signIn(await apple.authorizationUrl(request), 'erin'),
      request,
    );
    expect(profile).toMatchObject({ email: 'x7k2q9p4r1@privaterelay.appleid.com', emailVerified: true });
    expect(profile.raw.is_private_email).toBe('true');
  });

  it('answers with a plain redirect when a script asks for test_response_mode=query', async () => {
    const apple = connector();
    const request = anUpstreamRequest();
    const callback = await idp.signIn(await apple.authorizationUrl(request), 'alice', { test_response_mode: 'query' });
    expect(callback.method).toBe('GET');
    await expect(apple.completeAuthorization(callback, request)).resolves.toMatchObject({ subject: '1000001' });
  });

  it('refuses a client secret that is not a P-256 private key', () => {
    const error = (() => {
      try {
        createConnector(
          aConnection('apple', { emulator: idp.url, ...appleConnection, clientSecret: 'not-a-key' }),
          testDeps().deps,
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).code).toBe('invalid_config');
  });
});
