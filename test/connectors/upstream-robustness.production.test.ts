import { describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/registry.js';
import { googleKey, googlePayload, webClientId } from './fixtures/google.js';
import { linkedinClientId, linkedinJwks, linkedinKey, linkedinPayload } from './fixtures/linkedin.js';
import { at, json, productionDeps, providerFetch, secondsOf } from './fixtures/provider-fetch.js';
import { aConnection, expectConnectorError } from './support.js';

const jwksUrl = 'https://www.googleapis.com/oauth2/v3/certs';

/** Google at its production URLs, with a JWKS endpoint whose answers the test scripts. */
const setup = async (answers: (() => Response)[]) => {
  const key = await googleKey();
  let calls = 0;
  const provider = providerFetch([
    at('GET', jwksUrl, () => {
      const answer = answers[Math.min(calls, answers.length - 1)] ?? (() => json({ keys: [key.jwk] }));
      calls++;
      return answer();
    }),
  ]);
  const { deps, clock } = productionDeps(provider.fetch);
  const connector = createConnector(aConnection('google', { clientId: webClientId }), deps);
  const token = () => key.sign(googlePayload(secondsOf(deps), { azp: webClientId }));
  return { key, connector, clock, token, calls: () => calls };
};

const down = () => new Response('<h1>503</h1>', { status: 503, headers: { 'retry-after': '30' } });

describe('upstream robustness at the production URLs', () => {
  it('tries a JWKS GET once more after a 5xx', async () => {
    const { key, connector, token, calls } = await setup([down, () => json({ keys: [key.jwk] })]);
    await expect(connector.verifyToken({ kind: 'id_token', value: await token() })).resolves.toBeDefined();
    expect(calls()).toBe(2);
  });

  it('fetches the JWKS once for sign-ins that wait for it together (single flight)', async () => {
    const { key, connector, token, calls } = await setup([() => json({ keys: [key.jwk] })]);
    const tokens = await Promise.all([token(), token(), token()]);
    await Promise.all(
      tokens.map((value, n) => connector.verifyToken({ kind: 'id_token', value: `${value}` }).then(() => n)),
    );
    expect(calls()).toBe(1);
  });

  it('serves the stale key set while the IdP is down after its freshness ran out (stale-if-error)', async () => {
    const { key, connector, clock, token, calls } = await setup([() => json({ keys: [key.jwk] }), down]);
    await connector.verifyToken({ kind: 'id_token', value: await token() });
    clock.advance(2 * 3600 * 1000);
    await expect(connector.verifyToken({ kind: 'id_token', value: await token() })).resolves.toBeDefined();
    expect(calls()).toBe(3);
  });

  it('reports an IdP that rate limits the key set as rate_limited with its Retry-After', async () => {
    const { connector, token } = await setup([() => json({ error: 'slow down' }, 429, { 'retry-after': '45' })]);
    const error = await expectConnectorError(
      connector.verifyToken({ kind: 'id_token', value: await token() }),
      'rate_limited',
    );
    expect(error).toMatchObject({ step: 'jwks', retryAfterSeconds: 45 });
  });

  it('reports an IdP that stays down as idp_unavailable, tagged with the step', async () => {
    const { connector, token, calls } = await setup([down]);
    const error = await expectConnectorError(
      connector.verifyToken({ kind: 'id_token', value: await token() }),
      'idp_unavailable',
    );
    expect(error).toMatchObject({ step: 'jwks', upstreamStatus: 503 });
    expect(calls()).toBe(2);
  });
});

describe('linkedin connector at https://www.linkedin.com', () => {
  it("verifies an ID token signed by the key at LinkedIn's JWKS URL", async () => {
    const key = await linkedinKey();
    const { deps } = productionDeps(providerFetch([linkedinJwks(key.jwk)]).fetch);
    const connector = createConnector(aConnection('linkedin', { clientId: linkedinClientId }), deps);
    const profile = await connector.verifyToken({
      kind: 'id_token',
      value: await key.sign(linkedinPayload(secondsOf(deps))),
    });
    expect(profile).toMatchObject({
      issuer: 'https://www.linkedin.com/oauth',
      subject: '782bbtaQ',
      emailVerified: true,
    });
  });
});
