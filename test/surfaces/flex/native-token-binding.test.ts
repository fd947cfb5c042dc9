/**
 * Native token binding through the real `sharetribe-flex-sdk` (decision 0022): a Facebook Limited Login ID token
 * must carry a nonce of ours; an ID token signs in once; a sign-up with a token does not spend it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../../harness/social.js';
import { expectNoWrites } from '../../harness/storage.js';
import {
  type FlexWorld,
  facebookAppId,
  oidcClientId,
  oidcConnectionId,
  sdkFailure,
  startFlexWorld,
} from './support.js';

let world: FlexWorld;

beforeAll(async () => {
  world = await startFlexWorld();
});
afterAll(async () => world?.close());

/** A nonce for the marketplace's server client, the one that signs in with `loginWithIdp`. */
const serverNonce = async (): Promise<string> => {
  const response = await postForm(`${world.gh.url}/t/${world.tenant.id}/nonce`, {
    client_id: world.serverClientId,
    client_secret: world.clientSecret,
  });
  expect(response.status).toBe(200);
  return response.body.nonce as string;
};

/** A Facebook Limited Login ID token: what the Facebook SDK hands an app in limited mode. */
const limitedLoginToken = async (request: { sub: string; email: string; nonce?: string }) =>
  (
    await world.idp.mint('facebook', {
      clientId: facebookAppId,
      emailVerified: true,
      ...request,
    })
  ).id_token as string;

const login = (idpToken: string, idpId = 'facebook', idpClientId = facebookAppId) =>
  world.serverSdk().loginWithIdp({ idpId, idpClientId, idpToken });

describe('auth_with_idp and create_with_idp with a Facebook Limited Login ID token', () => {
  it('creates the user and then signs in with one token carrying a nonce of ours; the token is then spent', async () => {
    const { email, sub } = world.unique('limited');
    const idpToken = await limitedLoginToken({ sub, email, nonce: await serverNonce() });

    // The browser's public client signs up with the token: that spends nothing.
    const created = await world
      .sdk()
      .currentUser.createWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken });
    expect(created.status).toBe(200);
    const signedIn = await login(idpToken);
    expect(signedIn.status).toBe(200);

    const replayed = await expectNoWrites(world.gh.storage.db, () => sdkFailure(login(idpToken)));
    expect(replayed).toEqual({
      status: 401,
      data: { error: 'invalid_grant', error_description: 'the ID token nonce has already been used' },
    });
  });

  it('refuses a Limited Login token without a nonce, in Flex format, and writes nothing', async () => {
    const { email, sub } = world.unique('limited-bare');
    const idpToken = await limitedLoginToken({ sub, email });
    const message = 'the ID token carries no nonce issued by this service, and this connection requires one';

    const signUp = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(world.sdk().currentUser.createWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken })),
    );
    expect(signUp.status).toBe(401);
    expect(JSON.stringify(signUp.data)).toContain(message);

    const signIn = await expectNoWrites(world.gh.storage.db, () => sdkFailure(login(idpToken)));
    expect(signIn).toEqual({ status: 401, data: { error: 'invalid_grant', error_description: message } });
  });

  it("refuses a nonce issued to another tenant's client", async () => {
    const other = await world.gh.core.tenants.create({
      id: `${world.tenant.id}-b`,
      policies: { linking: 'merge_needed' },
    });
    const { client, clientSecret } = await world.gh.core.clients.create(other.id, {
      name: 'Other marketplace',
      grantTypes: ['client_credentials'],
    });
    const issued = await postForm(`${world.gh.url}/t/${other.id}/nonce`, {
      client_id: client.clientId,
      client_secret: clientSecret ?? '',
    });
    const { email, sub } = world.unique('limited-cross');
    const idpToken = await limitedLoginToken({ sub, email, nonce: issued.body.nonce as string });
    const refused = await expectNoWrites(world.gh.storage.db, () => sdkFailure(login(idpToken)));
    expect(refused).toEqual({
      status: 401,
      data: { error: 'invalid_grant', error_description: 'the ID token nonce was issued to another client' },
    });
  });
});

describe('auth_with_idp with an OpenID Connect ID token without a nonce', () => {
  it('signs in once; the same token the second time is refused', async () => {
    const { email, sub } = world.unique('oidc-once');
    const idpToken = await world.oidcIdToken({ sub, email, emailVerified: true });
    await world.sdk().currentUser.createWithIdp({ idpId: oidcConnectionId, idpClientId: oidcClientId, idpToken });

    expect((await login(idpToken, oidcConnectionId, oidcClientId)).status).toBe(200);
    const replayed = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(login(idpToken, oidcConnectionId, oidcClientId)),
    );
    expect(replayed).toEqual({
      status: 401,
      data: { error: 'invalid_grant', error_description: 'the ID token has already been used' },
    });
  });
});
