/**
 * An identity provider that is down and says when to come back (`503` with `Retry-After`): the client hears it too,
 * with the 502 of every surface that takes a provider's token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apps, postForm, type SocialFixture, startSocialFixture } from '../../harness/social.js';

let f: SocialFixture;

beforeAll(async () => {
  f = await startSocialFixture({ tenantId: 'retry-after' });
});
afterAll(async () => f?.close());

describe("a provider's Retry-After", () => {
  it('reaches the client of the STS grant and of token exchange, with 502', async () => {
    const github = (await f.idp.mint('github', { clientId: apps.github, sub: 'gh-down', email: 'gh@example.com' }))
      .access_token as string;
    const google = (await f.idp.mint('google', { clientId: apps.google, sub: 'g-down', email: 'g@example.com' }))
      .id_token as string;
    await f.idp.control({ provider: 'github', mode: 'down' });
    await f.idp.control({ provider: 'google', mode: 'down' });
    try {
      const sts = await postForm(`${f.gh.url}/connect/token`, {
        grant_type: 'GitHub',
        assertion: github,
        client_id: f.clientId,
        client_secret: f.clientSecret,
      });
      expect(sts).toMatchObject({ status: 502, body: { error: 'temporarily_unavailable' } });
      expect(sts.headers.get('retry-after')).toBe('30');

      const exchanged = await postForm(`${f.gh.issuer(f.tenant.id)}/token`, {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        client_id: f.clientId,
        client_secret: f.clientSecret,
        subject_token: google,
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        subject_issuer: 'google',
      });
      expect(exchanged.status).toBe(502);
      expect(exchanged.headers.get('retry-after')).toBe('30');
    } finally {
      await f.idp.control({ provider: 'github', mode: 'normal' });
      await f.idp.control({ provider: 'google', mode: 'normal' });
    }
  });
});
