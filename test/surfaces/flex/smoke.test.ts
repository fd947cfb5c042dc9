import sharetribe from 'sharetribe-flex-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageKinds } from '../../harness/storage.js';
import { type FlexWorld, facebookAppId, startFlexWorld } from './support.js';

// One full Flex flow on each store (PGlite and PostgreSQL); the other suites run on PostgreSQL.
describe.each(storageKinds)('the Flex web template flow on %s (sharetribe-flex-sdk)', (storage) => {
  let world: FlexWorld;
  beforeAll(async () => {
    world = await startFlexWorld({ storage });
  });
  afterAll(async () => world?.close());

  it('creates with an IdP token, logs in, shows the user and logs out', async () => {
    const { email, sub } = world.unique('smoke');
    const idpToken = await world.facebookToken({ sub, email, givenName: 'Smoke', familyName: 'Test' });
    const store = sharetribe.tokenStore.memoryStore();
    // The browser's SDK (the public client) and the server's (the confidential client, which alone may log in with
    // an IdP token) share the token store, as the web template's cookie is shared.
    const sdk = world.sdk(store);

    const created = await sdk.currentUser.createWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken });
    const login = await world
      .serverSdk(store)
      .loginWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken });
    const shown = await sdk.currentUser.show();
    await sdk.logout();

    const id = (created.data as { data: { id: { uuid: string } } }).data.id.uuid;
    expect(login).toMatchObject({ status: 200, data: { token_type: 'bearer', scope: 'user' } });
    expect(shown.data).toMatchObject({
      data: {
        id: { uuid: id },
        type: 'currentUser',
        attributes: { email, profile: { displayName: 'Smoke Test', abbreviatedName: 'ST' } },
      },
    });
    expect(store.getToken()).toBeNull();
  });
});
