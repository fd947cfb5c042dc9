import { describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/registry.js';
import { androidClientId, googleJwks, googleKey, googlePayload, iosClientId, webClientId } from './fixtures/google.js';
import { productionDeps, providerFetch, secondsOf } from './fixtures/provider-fetch.js';
import { aConnection, expectConnectorError } from './support.js';

/** Google at its production URLs: no emulator, no endpoint override. */
const setup = async () => {
  const key = await googleKey();
  const provider = providerFetch([googleJwks(key.jwk)]);
  const { deps } = productionDeps(provider.fetch);
  const connector = createConnector(
    aConnection('google', { clientId: webClientId, settings: { audiences: [androidClientId, iosClientId] } }),
    deps,
  );
  return { key, connector, now: secondsOf(deps), seen: provider.seen };
};

describe('google connector at https://www.googleapis.com (Android and iOS token shapes)', () => {
  it('accepts an Android ID token (aud web client, azp Android client) when the caller names the web client', async () => {
    const { key, connector, now, seen } = await setup();
    const idToken = await key.sign(googlePayload(now));
    const profile = await connector.verifyToken({ kind: 'id_token', value: idToken, clientId: webClientId });
    expect(profile).toMatchObject({
      subject: '110169484474386276334',
      email: 'ana@gmail.example',
      emailVerified: true,
    });
    expect(seen.map((r) => r.url.href)).toEqual(['https://www.googleapis.com/oauth2/v3/certs']);
  });

  it('accepts the same token when the caller names the Android client (the azp)', async () => {
    const { key, connector, now } = await setup();
    const idToken = await key.sign(googlePayload(now));
    await expect(
      connector.verifyToken({ kind: 'id_token', value: idToken, clientId: androidClientId }),
    ).resolves.toMatchObject({ issuer: 'https://accounts.google.com' });
  });

  it('accepts an iOS token with a server client id (aud web, azp iOS)', async () => {
    const { key, connector, now } = await setup();
    const idToken = await key.sign(googlePayload(now, { azp: iosClientId }));
    await expect(
      connector.verifyToken({ kind: 'id_token', value: idToken, clientId: iosClientId }),
    ).resolves.toBeDefined();
  });

  it('refuses a token whose azp is a client of another project', async () => {
    const { key, connector, now } = await setup();
    const idToken = await key.sign(googlePayload(now, { azp: '99-other.apps.googleusercontent.com' }));
    await expectConnectorError(connector.verifyToken({ kind: 'id_token', value: idToken }), 'wrong_audience');
  });

  it('refuses a token whose aud is another project even when its azp is ours', async () => {
    const { key, connector, now } = await setup();
    const idToken = await key.sign(googlePayload(now, { aud: '99-other.apps.googleusercontent.com' }));
    await expectConnectorError(connector.verifyToken({ kind: 'id_token', value: idToken }), 'wrong_audience');
  });

  it('refuses a token when the caller names a client that is neither its aud nor its azp', async () => {
    const { key, connector, now } = await setup();
    const idToken = await key.sign(googlePayload(now));
    const error = await expectConnectorError(
      connector.verifyToken({ kind: 'id_token', value: idToken, clientId: iosClientId }),
      'wrong_audience',
    );
    expect(error.step).toBe('id_token');
  });

  it('accepts the short issuer spelling Google also uses', async () => {
    const { key, connector, now } = await setup();
    const idToken = await key.sign(googlePayload(now, { iss: 'accounts.google.com' }));
    await expect(connector.verifyToken({ kind: 'id_token', value: idToken })).resolves.toBeDefined();
  });
});
