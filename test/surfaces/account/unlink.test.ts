import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apps, postForm, type SocialFixture, startSocialFixture } from '../../harness/social.js';
import { expectNoWrites } from '../../harness/storage.js';

let f: SocialFixture;
let accountUrl: string;

const exchange = async (kind: 'google' | 'linkedin', sub: string, email: string, actor?: string) => {
  const idToken = (await f.idp.mint(kind, { clientId: apps[kind], sub, email, emailVerified: true }))
    .id_token as string;
  const response = await postForm(`${f.gh.issuer(f.tenant.id)}/token`, {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    client_id: f.clientId,
    client_secret: f.clientSecret,
    subject_token: idToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
    subject_issuer: kind,
    ...(actor === undefined
      ? {}
      : { actor_token: actor, actor_token_type: 'urn:ietf:params:oauth:token-type:access_token' }),
  });
  expect(response.status).toBe(200);
  return response.body.access_token as string;
};

beforeAll(async () => {
  f = await startSocialFixture({ tenantId: 'self-service' });
  accountUrl = `${f.gh.issuer(f.tenant.id)}/account`;
});
afterAll(async () => f?.close());

describe("the account surface (the user's own access token)", () => {
  it('shows the account and its identities, and unlinks one while another way to sign in remains', async () => {
    const token = await exchange('google', 'self-g', 'self@example.com');
    await exchange('linkedin', 'self-li', 'self@example.com', token);
    const shown = await fetch(accountUrl, { headers: { authorization: `Bearer ${token}` } });
    expect(shown.status).toBe(200);
    const account = (await shown.json()) as {
      email: string;
      identities: { idp: string; subject: string }[];
      has_password: boolean;
    };
    expect(account).toMatchObject({ email: 'self@example.com', email_verified: true, has_password: false });
    expect(account.identities.map((i) => [i.idp, i.subject])).toEqual([
      ['google', 'self-g'],
      ['linkedin', 'self-li'],
    ]);

    const removed = await fetch(`${accountUrl}/identities/linkedin`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(removed.status).toBe(204);

    // The last way to sign in stays.
    const last = await expectNoWrites(f.gh.storage.db, () =>
      fetch(`${accountUrl}/identities/google`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }),
    );
    expect(last.status).toBe(409);
    expect(await last.json()).toEqual({
      error: 'invalid_request',
      error_description: "this is the user's only way to sign in; set a password or link another provider first",
    });
    const after = (await (await fetch(accountUrl, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      identities: { idp: string }[];
    };
    expect(after.identities.map((i) => i.idp)).toEqual(['google']);
  });

  it('refuses a missing, forged or client-only token with 401 and a Bearer challenge', async () => {
    const cc = await postForm(`${f.gh.issuer(f.tenant.id)}/token`, {
      grant_type: 'client_credentials',
      client_id: f.clientId,
      client_secret: f.clientSecret,
    });
    for (const headers of [
      {},
      { authorization: 'Bearer abc.def.ghi' },
      { authorization: `Bearer ${cc.body.access_token as string}` },
    ]) {
      const response = await fetch(accountUrl, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
    }
  });

  it('answers 404 for an identity the user does not have', async () => {
    const token = await exchange('google', 'self-g2', 'self2@example.com');
    const response = await fetch(`${accountUrl}/identities/github`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'invalid_request',
      error_description: 'the user has no identity from "github"',
    });
  });
});
