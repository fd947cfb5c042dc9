import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/connectors/connector.js';
import { createConnector } from '../../src/connectors/registry.js';
import { startUpstreamOidc, type UpstreamOidc, upstreamRedirectUri } from '../harness/upstream-oidc.js';
import { aConnection, anUpstreamRequest, expectConnectorError, testDeps } from './support.js';

let op: UpstreamOidc;
beforeAll(async () => {
  op = await startUpstreamOidc();
});
afterAll(async () => {
  await op.close();
});

/** A generic OIDC connection that discovers oidc-provider; a Google connection pointed at it by endpoint overrides. */
const connections = {
  oidc: (): ConnectionConfig =>
    aConnection('oidc', {
      clientId: String(op.clients.web.client_id),
      clientSecret: String(op.clients.web.client_secret),
      settings: { issuer: op.issuer },
    }),
  google: (): ConnectionConfig =>
    aConnection('google', {
      clientId: String(op.clients.webPost.client_id),
      clientSecret: String(op.clients.webPost.client_secret),
      endpoints: op.endpoints(),
    }),
};

describe.each(['oidc', 'google'] as const)('%s connector against oidc-provider', (kind) => {
  const setup = () => {
    const { deps, clock } = testDeps();
    return { connector: createConnector(connections[kind](), deps), clock, clientId: connections[kind]().clientId };
  };
  const redirect = async (accountId: string) => {
    const { connector } = setup();
    const request = anUpstreamRequest({ redirectUri: upstreamRedirectUri });
    const params = await op.signIn(await connector.authorizationUrl(request), accountId);
    return connector.completeAuthorization({ params }, request);
  };

  it('returns a verified email when the account signs in through a real code flow with PKCE', async () => {
    await expect(redirect('alice')).resolves.toMatchObject({
      kind,
      issuer: op.issuer,
      subject: 'alice',
      email: 'alice@example.com',
      emailVerified: true,
      givenName: 'Alice',
      familyName: 'Liddell',
      displayName: 'Alice Liddell',
    });
  });

  it('returns the email as unverified when the provider says so', async () => {
    await expect(redirect('bob')).resolves.toMatchObject({
      subject: 'bob',
      email: 'bob@example.com',
      emailVerified: false,
    });
  });

  it('returns a profile without email when the account has none', async () => {
    const profile = await redirect('carol');
    expect(profile.email).toBeUndefined();
    expect(profile.emailVerified).toBe(false);
  });

  it('accepts an ID token a native client of the app obtained, with its nonce', async () => {
    const { connector, clientId } = setup();
    const { id_token } = await op.issueTokens({ accountId: 'alice', clientId, nonce: 'native-nonce' });
    await expect(
      connector.verifyToken({ kind: 'id_token', value: id_token, nonce: 'native-nonce' }),
    ).resolves.toMatchObject({
      subject: 'alice',
      emailVerified: true,
    });
    await expectConnectorError(
      connector.verifyToken({ kind: 'id_token', value: id_token, nonce: 'another' }),
      'invalid_token',
    );
  });

  it('rejects an ID token with idp_wrong_audience when it was issued to another app', async () => {
    const { connector } = setup();
    const { id_token } = await op.issueTokens({ accountId: 'alice', clientId: String(op.clients.other.client_id) });
    await expectConnectorError(connector.verifyToken({ kind: 'id_token', value: id_token }), 'wrong_audience');
  });

  it('rejects an ID token when the clock is past its expiry', async () => {
    const { connector, clock, clientId } = setup();
    const { id_token } = await op.issueTokens({ accountId: 'alice', clientId });
    clock.advance(2 * 3600 * 1000);
    await expectConnectorError(connector.verifyToken({ kind: 'id_token', value: id_token }), 'invalid_token');
  });
});

describe('the oidc connector against oidc-provider, RFC 9207', () => {
  it('refuses a callback without iss when the provider advertises issuer identification', async () => {
    const discovery = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery.authorization_response_iss_parameter_supported).toBe(true);
    const connector = createConnector(connections.oidc(), testDeps().deps);
    const request = anUpstreamRequest({ redirectUri: upstreamRedirectUri });
    const params = await op.signIn(await connector.authorizationUrl(request), 'alice');
    expect(params.get('iss')).toBe(op.issuer);
    const withoutIss = new URLSearchParams(params);
    withoutIss.delete('iss');

    const error = await expectConnectorError(
      connector.completeAuthorization({ params: withoutIss }, request),
      'invalid_token',
    );

    expect(error.message).toMatch(/issuer/);
    // The genuine response, with iss, still completes.
    await expect(connector.completeAuthorization({ params }, request)).resolves.toMatchObject({ subject: 'alice' });
  });
});
