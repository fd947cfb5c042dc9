/**
 * `POST /connect/token` cannot ask for a second factor: where the tenant's policy wants one, the password and provider
 * grants answer `invalid_grant` and write nothing, never tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apps, claimsOf, postForm, type SocialFixture, startSocialFixture } from '../../harness/social.js';
import { expectNoWrites, storageKinds } from '../../harness/storage.js';

const password = 'a second factor, please';
const mfaRequired = {
  error: 'invalid_grant',
  error_description:
    'a second factor is required for this sign-in and was not answered; sign in through the authorization endpoint, which asks for one',
};

describe.each(storageKinds)('POST /connect/token under the tenant second-factor policy (%s)', (kind) => {
  let f: SocialFixture;
  let tokenUrl: string;
  const tenantId = `mfa-sts-${kind}`;
  const email = `ada-${kind}@example.com`;

  const setMfa = (mfa: 'off' | 'social' | 'all') => f.gh.core.tenants.update(tenantId, { policies: { mfa } });
  const grant = (form: Record<string, string>) =>
    postForm(tokenUrl, { client_id: f.clientId, client_secret: f.clientSecret, scope: 'api', ...form });
  const facebookToken = async (sub: string, address: string) =>
    String(
      (await f.idp.mint('facebook', { clientId: apps.facebook, sub, email: address, emailVerified: true, name: 'Fi' }))
        .access_token,
    );

  beforeAll(async () => {
    f = await startSocialFixture({ tenantId, policies: { mfa: 'all' }, start: { storage: kind } });
    tokenUrl = `${f.gh.url}/connect/token`;
    await f.gh.core.users.create(tenantId, { email, password, emailVerified: true });
    await f.gh.core.keys.warm(tenantId);
  });
  afterAll(async () => f?.close());

  it('refuses the password grant when the tenant asks for a second factor after every sign-in', async () => {
    const response = await expectNoWrites(f.gh.storage.db, () =>
      grant({ grant_type: 'password', username: email, password }),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual(mfaRequired);
  });

  it('refuses grant_type=Facebook for a returning user, before any write', async () => {
    await setMfa('off');
    try {
      const newUser = await grant({ grant_type: 'Facebook', assertion: await facebookToken('fb-back', 'back@x.io') });
      const created = await postForm(
        `${f.gh.url}/connect/accounts`,
        {},
        { authorization: `Bearer ${String(newUser.body.access_token)}` },
      );
      expect(created.status).toBe(201);
      const linked = await grant({ grant_type: 'Facebook', assertion: await facebookToken('fb-back', 'back@x.io') });
      expect(linked.status).toBe(200);
      expect(claimsOf(linked.body.access_token).amr).toEqual(['external', 'facebook']);
    } finally {
      await setMfa('social');
    }
    try {
      const assertion = await facebookToken('fb-back', 'back@x.io');
      const response = await expectNoWrites(f.gh.storage.db, () => grant({ grant_type: 'Facebook', assertion }));
      expect(response.status).toBe(400);
      expect(response.body).toEqual(mfaRequired);
      // `social` asks nothing more after a password.
      const byPassword = await grant({ grant_type: 'password', username: email, password });
      expect(byPassword.status).toBe(200);
      expect(claimsOf(byPassword.body.access_token).amr).toEqual(['pwd']);
    } finally {
      await setMfa('all');
    }
  });

  it('refuses to turn a newuser token into an account with tokens, and leaves no account behind', async () => {
    await setMfa('off');
    let newUser: Awaited<ReturnType<typeof grant>>;
    try {
      newUser = await grant({ grant_type: 'Facebook', assertion: await facebookToken('fb-later', 'later@x.io') });
      expect(claimsOf(newUser.body.access_token).newuser).toBe(true);
    } finally {
      await setMfa('all');
    }
    const response = await expectNoWrites(f.gh.storage.db, () =>
      postForm(`${f.gh.url}/connect/accounts`, {}, { authorization: `Bearer ${String(newUser.body.access_token)}` }),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual(mfaRequired);
    expect(await f.gh.core.users.findByEmail(tenantId, 'later@x.io')).toBeUndefined();
  });
});
