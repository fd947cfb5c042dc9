import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apps, postForm, type SocialFixture, startSocialFixture } from '../../harness/social.js';
import { expectNoWrites } from '../../harness/storage.js';

let f: SocialFixture;
let accountUrl: string;
let token: string;

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${accountUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

beforeAll(async () => {
  f = await startSocialFixture({ tenantId: 'self-changes' });
  accountUrl = `${f.gh.issuer(f.tenant.id)}/account`;
  const idToken = (
    await f.idp.mint('google', {
      clientId: apps.google,
      sub: 'ch-1',
      email: 'changes@example.com',
      emailVerified: true,
    })
  ).id_token as string;
  const response = await postForm(`${f.gh.issuer(f.tenant.id)}/token`, {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    client_id: f.clientId,
    client_secret: f.clientSecret,
    subject_token: idToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
    subject_issuer: 'google',
  });
  token = response.body.access_token as string;
});
afterAll(async () => f?.close());

describe("the account surface's changes (the user's own access token)", () => {
  it('changes the names; null clears one', async () => {
    expect((await call('PATCH', '', { given_name: 'Cha', family_name: 'Nges' })).status).toBe(204);
    expect((await call('PATCH', '', { family_name: null })).status).toBe(204);
    const shown = (await (await call('GET', '')).json()) as Record<string, unknown>;
    expect(shown).toMatchObject({ given_name: 'Cha', family_name: null });
  });

  it('sets a password within five minutes of the sign-in, and refuses a short one changing nothing', async () => {
    const short = await expectNoWrites(f.gh.storage.db, () => call('POST', '/password', { new_password: 'short' }));
    expect(short.status).toBe(400);
    expect((await call('POST', '/password', { new_password: 'a brand new password' })).status).toBe(204);
    await expect(
      f.gh.core.users.verifyCredentials(f.tenant.id, 'changes@example.com', 'a brand new password'),
    ).resolves.toBeDefined();
    const wrong = await expectNoWrites(f.gh.storage.db, () =>
      call('POST', '/password', { current_password: 'not it', new_password: 'another new password' }),
    );
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'insufficient_user_authentication' });
  });

  it('changes the email only with the code mailed to the new address, once', async () => {
    expect((await call('POST', '/email', { email: 'New.Address@example.com' })).status).toBe(202);
    const mail = (await f.gh.core.mail.outbox()).find((m) => m.to === 'new.address@example.com');
    const code = /\b(\d{6})\b/.exec(mail?.text ?? '')?.[1] ?? '';
    expect(code).toMatch(/^\d{6}$/);
    const wrong = await call('POST', '/email/confirm', { code: code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(await f.gh.core.users.findByEmail(f.tenant.id, 'new.address@example.com')).toBeUndefined();
    expect((await call('POST', '/email/confirm', { code })).status).toBe(204);
    expect(await f.gh.core.users.findByEmail(f.tenant.id, 'new.address@example.com')).toMatchObject({
      emailVerified: true,
    });
    const again = await expectNoWrites(f.gh.storage.db, () => call('POST', '/email/confirm', { code }));
    expect(again.status).toBe(400);
    expect((await call('POST', '/email', { email: 'not-an-address' })).status).toBe(400);
  });

  it('lists sessions and answers 404 for one that is not the user’s', async () => {
    const listed = await call('GET', '/sessions');
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ items: [] });
    const unknown = await expectNoWrites(f.gh.storage.db, () => call('DELETE', '/sessions/nope'));
    expect(unknown.status).toBe(404);
  });

  it('refuses every change without a token with the bearer challenge', async () => {
    const response = await fetch(`${accountUrl}/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ new_password: 'whatever password' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
});
