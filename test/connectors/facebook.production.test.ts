import { describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/registry.js';
import { appId, appSecret, debugTokenData, invalidTokenError, me } from './fixtures/facebook.js';
import { at, json, productionDeps, providerFetch, type Route, secondsOf } from './fixtures/provider-fetch.js';
import { aConnection, anUpstreamRequest, expectConnectorError } from './support.js';

const graph = 'https://graph.facebook.com/v23.0';

/** Graph at its production URLs; `routes` see the test clock's time. */
const setup = (routes: (now: number) => Route[]) => {
  const list: Route[] = [];
  const provider = providerFetch(list);
  const { deps } = productionDeps(provider.fetch);
  list.push(...routes(secondsOf(deps)));
  const connector = createConnector(aConnection('facebook', { clientId: appId, clientSecret: appSecret }), deps);
  return { connector, seen: provider.seen };
};

describe('facebook connector at https://graph.facebook.com', () => {
  it('signs in with a user token of this app, and no URL it calls carries the app secret', async () => {
    const { connector, seen } = setup((now) => [
      at('GET', `${graph}/debug_token`, () => json(debugTokenData(now))),
      at('GET', `${graph}/me`, () => json(me)),
    ]);
    const profile = await connector.verifyToken({ kind: 'access_token', value: 'EAAGtoken0000' });
    expect(profile).toMatchObject({ subject: me.id, email: me.email });
    expect(seen.map((r) => r.url.pathname)).toEqual(['/v23.0/debug_token', '/v23.0/me']);
    for (const request of seen) expect(request.url.href).not.toContain(appSecret);
    expect(seen[0]?.headers.get('authorization')).toBe(`Bearer ${appId}|${appSecret}`);
    expect(seen[1]?.url.searchParams.get('appsecret_proof')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads debug_token HTTP 400 (Graph error 190) for a junk token as an invalid token, not an outage', async () => {
    const { connector } = setup(() => [at('GET', `${graph}/debug_token`, () => json(invalidTokenError, 400))]);
    const error = await expectConnectorError(
      connector.verifyToken({ kind: 'access_token', value: 'not-a-token' }),
      'invalid_token',
    );
    expect(error.step).toBe('token_introspection');
  });

  it('redeems the code with the app secret in a POST body', async () => {
    const { connector, seen } = setup((now) => [
      at('POST', `${graph}/oauth/access_token`, () =>
        json({ access_token: 'EAAGfromcode', token_type: 'bearer', expires_in: 5183944 }),
      ),
      at('GET', `${graph}/debug_token`, () => json(debugTokenData(now))),
      at('GET', `${graph}/me`, () => json(me)),
    ]);
    const request = anUpstreamRequest();
    const callback = { params: new URLSearchParams({ code: 'AQDcode', state: request.state }) };
    await expect(connector.completeAuthorization(callback, request)).resolves.toMatchObject({ subject: me.id });
    const exchange = seen[0];
    expect(exchange?.method).toBe('POST');
    expect(new URLSearchParams(exchange?.body).get('client_secret')).toBe(appSecret);
    for (const r of seen) expect(r.url.href).not.toContain(appSecret);
  });
});
