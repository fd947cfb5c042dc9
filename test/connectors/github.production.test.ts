import { describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/registry.js';
import { checkedToken, githubClientId, githubEmails, githubUser, validationFailed } from './fixtures/github.js';
import { at, json, productionDeps, providerFetch, type Route, secondsOf } from './fixtures/provider-fetch.js';
import { aConnection, expectConnectorError } from './support.js';

const checkUrl = `https://api.github.com/applications/${githubClientId}/token`;

const setup = (routes: Route[]) => {
  const provider = providerFetch(routes);
  const { deps } = productionDeps(provider.fetch);
  const connector = createConnector(aConnection('github', { clientId: githubClientId }), deps);
  return { connector, seen: provider.seen, now: secondsOf(deps) };
};

describe('github connector at https://api.github.com', () => {
  it('returns the verified primary email of a token of this app', async () => {
    const { connector } = setup([
      at('POST', checkUrl, (r) => json(checkedToken(JSON.parse(r.body).access_token))),
      at('GET', 'https://api.github.com/user', () => json(githubUser)),
      at('GET', 'https://api.github.com/user/emails', () => json(githubEmails)),
    ]);
    const profile = await connector.verifyToken({ kind: 'access_token', value: 'gho_valid0000000000000000000000000' });
    expect(profile).toMatchObject({ subject: '583231', email: 'octocat@github.example', emailVerified: true });
  });

  it('reads a 422 from the token check as an invalid token, without asking whose it is', async () => {
    const { connector, seen } = setup([
      at('POST', checkUrl, () => json(validationFailed, 422)),
      at('GET', 'https://api.github.com/user', () => json(githubUser)),
    ]);
    const error = await expectConnectorError(
      connector.verifyToken({ kind: 'access_token', value: 'gho_expired000000000000000000000000' }),
      'invalid_token',
    );
    expect(error.step).toBe('token_introspection');
    expect(seen.map((r) => r.url.pathname)).toEqual([`/applications/${githubClientId}/token`]);
  });

  it('reports a rate-limited /user/emails (403, x-ratelimit-remaining: 0) instead of dropping the verified email', async () => {
    const { connector, now } = setup([
      at('POST', checkUrl, (r) => json(checkedToken(JSON.parse(r.body).access_token))),
      at('GET', 'https://api.github.com/user', () => json(githubUser)),
      at('GET', 'https://api.github.com/user/emails', () =>
        json({ message: 'API rate limit exceeded for user ID 583231.' }, 403, {
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 600),
        }),
      ),
    ]);
    const error = await expectConnectorError(
      connector.verifyToken({ kind: 'access_token', value: 'gho_limited00000000000000000000000' }),
      'rate_limited',
    );
    expect(error.step).toBe('userinfo');
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect(now).toBeGreaterThan(0);
  });

  it('passes a 429 Retry-After through', async () => {
    const { connector } = setup([
      at('POST', checkUrl, () => json({ message: 'secondary rate limit' }, 429, { 'retry-after': '120' })),
    ]);
    const error = await expectConnectorError(
      connector.verifyToken({ kind: 'access_token', value: 'gho_busy0000000000000000000000000' }),
      'rate_limited',
    );
    expect(error.retryAfterSeconds).toBe(120);
  });
});
