import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlexWorld, googleAndroidClientId, googleClientId, startFlexWorld } from './support.js';

let world: FlexWorld;

beforeAll(async () => {
  world = await startFlexWorld();
});
afterAll(async () => world?.close());

/**
 * Google's Android (and iOS with a server client id) ID tokens name the web client in `aud` and the mobile client in
 * `azp` (https://developers.google.com/identity/sign-in/android/backend-auth). A Flex app may send either as
 * `idp_client_id`.
 */
describe('POST /v1/auth/auth_with_idp with a Google ID token from an Android app', () => {
  it.each([
    ['the Android client (the azp)', googleAndroidClientId],
    ['the web client (the aud)', googleClientId],
  ])('logs the user in when idp_client_id names %s', async (_name, idpClientId) => {
    const { email, sub } = world.unique(`android-${idpClientId.slice(12, 16)}`);
    const idpToken = () =>
      world.googleIdToken({ sub, email, emailVerified: true, authorizedParty: googleAndroidClientId });
    const created = await world
      .sdk()
      .currentUser.createWithIdp({ idpId: 'google', idpClientId, idpToken: await idpToken() });
    expect(created.status).toBe(200);

    const login = await world.serverSdk().loginWithIdp({ idpId: 'google', idpClientId, idpToken: await idpToken() });

    expect(login.status).toBe(200);
    expect(login.data).toMatchObject({ token_type: 'bearer', scope: 'user' });
  });
});
