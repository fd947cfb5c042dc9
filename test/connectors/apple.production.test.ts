import { describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/registry.js';
import { appleJwks, appleKey, applePayload, bundleId, servicesId } from './fixtures/apple.js';
import { productionDeps, providerFetch, secondsOf } from './fixtures/provider-fetch.js';
import { aConnection, appleKeyPem, expectConnectorError } from './support.js';

/** Apple at appleid.apple.com: the Services ID for the web, the bundle id for the native app. */
const setup = async () => {
  const key = await appleKey();
  const provider = providerFetch([appleJwks(key.jwk)]);
  const { deps } = productionDeps(provider.fetch);
  const connector = createConnector(
    aConnection('apple', {
      clientId: servicesId,
      clientSecret: appleKeyPem(),
      settings: { teamId: 'ABCDE12345', keyId: 'KEY1234567', audiences: [bundleId] },
    }),
    deps,
  );
  return { key, connector, now: secondsOf(deps) };
};

describe('apple connector at https://appleid.apple.com', () => {
  it('accepts a native token without nonce when Apple says the platform supports none', async () => {
    const { key, connector, now } = await setup();
    const idToken = await key.sign(applePayload(now, { nonce_supported: false }));
    const profile = await connector.verifyToken({ kind: 'id_token', value: idToken, nonce: 'n-1' });
    expect(profile).toMatchObject({ email: 'x7yz9abc@privaterelay.appleid.com', emailVerified: true });
  });

  it('refuses a native token without nonce when Apple says the platform supports one', async () => {
    const { key, connector, now } = await setup();
    const idToken = await key.sign(applePayload(now, { nonce_supported: true }));
    await expectConnectorError(
      connector.verifyToken({ kind: 'id_token', value: idToken, nonce: 'n-1' }),
      'invalid_token',
    );
  });

  it('refuses a native token whose nonce differs, whatever nonce_supported says', async () => {
    const { key, connector, now } = await setup();
    const idToken = await key.sign(applePayload(now, { nonce_supported: false, nonce: 'other' }));
    await expectConnectorError(
      connector.verifyToken({ kind: 'id_token', value: idToken, nonce: 'n-1' }),
      'invalid_token',
    );
  });

  it('refuses a web sign-in token (aud = Services ID) presented on the native path', async () => {
    const { key, connector, now } = await setup();
    const idToken = await key.sign(applePayload(now, { aud: servicesId, exp: now + 86400 }));
    await expectConnectorError(connector.verifyToken({ kind: 'id_token', value: idToken }), 'wrong_audience');
  });
});
