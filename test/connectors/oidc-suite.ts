import { describe, expect, it } from 'vitest';
import type { ConnectionConfig, Connector } from '../../src/connectors/connector.js';
import { ConnectorError } from '../../src/connectors/errors.js';
import { createConnector } from '../../src/connectors/registry.js';
import type { ProviderKind } from '../../src/emulator/index.js';
import type { EmulatorHarness } from '../harness/emulator.js';
import { aConnection, anUpstreamRequest, expectConnectorError, testDeps } from './support.js';

export interface OidcSuiteOptions {
  readonly kind: ProviderKind;
  readonly idp: () => EmulatorHarness;
  readonly connection?: Partial<ConnectionConfig>;
  /** Whether the authorization URL carries a PKCE challenge. */
  readonly pkce: boolean;
  /** LinkedIn does not put `nonce` in its ID tokens. */
  readonly echoesNonce?: boolean;
  /** The profile subject of the user whose `sub` is given (Microsoft: `tid:oid`); default: the `sub`. */
  readonly subjectOf?: (sub: string) => string;
  /** Endpoint overrides that keep the emulator's keys but expect another issuer. */
  readonly foreignIssuer: () => Readonly<Record<string, string>>;
}

/**
 * What every OpenID Connect connector must do against its emulator: the redirect and native-token paths, and every
 * rejection (audience, expiry, signature, key rotation, issuer, nonce, token kind, outage, slowness).
 */
export const oidcConnectorSuite = (options: OidcSuiteOptions): void => {
  const { kind } = options;
  const subjectOf = options.subjectOf ?? ((sub: string) => sub);
  const connection = (overrides: Partial<ConnectionConfig> = {}) =>
    aConnection(kind, { emulator: options.idp().url, ...options.connection, ...overrides });
  const setup = (overrides: Partial<ConnectionConfig> = {}, timeoutMs?: number) => {
    const { deps, clock } = testDeps(timeoutMs === undefined ? {} : { timeoutMs });
    return { connector: createConnector(connection(overrides), deps), clock };
  };
  const redirect = async (connector: Connector, testUser: string, extra?: Record<string, string>) => {
    const request = anUpstreamRequest();
    const url = await connector.authorizationUrl(request);
    const callback = await options.idp().signIn(url, testUser, extra);
    return { request, url, callback };
  };
  const mint = (sub: string, extra: Record<string, unknown> = {}) =>
    options.idp().mint(kind, {
      clientId: 'gatehouse-web',
      sub,
      email: `${sub}@example.com`,
      emailVerified: true,
      ...extra,
    });
  const withMode = async <T>(mode: 'down' | 'slow' | 'bad_signature', run: () => Promise<T>): Promise<T> => {
    await options.idp().control({ provider: kind, mode, slowMs: 60_000 });
    try {
      return await run();
    } finally {
      await options.idp().control({ provider: kind, mode: 'normal' });
    }
  };

  describe(`${kind} connector: redirect flow`, () => {
    it('sends state, nonce and the client id, and PKCE where the provider supports it', async () => {
      const { connector } = setup();
      const request = anUpstreamRequest();
      const url = await connector.authorizationUrl(request);
      expect(url.searchParams.get('state')).toBe(request.state);
      expect(url.searchParams.get('nonce')).toBe(request.nonce);
      expect(url.searchParams.get('client_id')).toBe('gatehouse-web');
      expect(url.searchParams.get('response_type')).toBe('code');
      expect(url.searchParams.get('code_challenge_method')).toBe(options.pkce ? 'S256' : null);
    });

    it('returns a verified email when the user signs in with a verified address', async () => {
      const { connector } = setup();
      const { request, callback } = await redirect(connector, 'alice');
      const profile = await connector.completeAuthorization(callback, request);
      expect(profile).toMatchObject({
        idp: `${kind}-test`,
        kind,
        subject: subjectOf('1000001'),
        email: 'alice@example.com',
        emailVerified: true,
      });
      expect(profile.issuer.startsWith(`${options.idp().url}/${kind}`)).toBe(true);
    });

    it('returns the email as unverified when the provider has not verified it', async () => {
      const { connector } = setup();
      const { request, callback } = await redirect(connector, 'bob@example.com');
      const profile = await connector.completeAuthorization(callback, request);
      expect(profile).toMatchObject({ subject: subjectOf('1000002'), email: 'bob@example.com', emailVerified: false });
    });

    it('returns a profile without email when the user has none', async () => {
      const { connector } = setup();
      const { request, callback } = await redirect(connector, 'carol');
      const profile = await connector.completeAuthorization(callback, request);
      expect(profile.subject).toBe(subjectOf('1000003'));
      expect(profile.email).toBeUndefined();
      expect(profile.emailVerified).toBe(false);
    });

    it('fails with idp_error when the user declines', async () => {
      const { connector } = setup();
      const { request, callback } = await redirect(connector, 'alice', { deny: '1' });
      await expectConnectorError(connector.completeAuthorization(callback, request), 'idp_error');
    });

    it('rejects the callback when the code is replayed', async () => {
      const { connector } = setup();
      const { request, callback } = await redirect(connector, 'alice');
      await connector.completeAuthorization(callback, request);
      await expectConnectorError(connector.completeAuthorization(callback, request), 'invalid_token');
    });

    it('fails with idp_unavailable at the token exchange when the provider is down', async () => {
      const { connector } = setup();
      const { request, callback } = await redirect(connector, 'alice');
      const error = await withMode('down', () =>
        expectConnectorError(connector.completeAuthorization(callback, request), 'idp_unavailable'),
      );
      expect((error as ConnectorError).step).toBe('token_exchange');
    });
  });

  describe(`${kind} connector: native ID tokens`, () => {
    it('returns the profile when the token was issued to the app', async () => {
      const { connector } = setup();
      const { id_token } = await mint('n-100');
      const profile = await connector.verifyToken({ kind: 'id_token', value: String(id_token) });
      expect(profile).toMatchObject({ subject: subjectOf('n-100'), email: 'n-100@example.com', emailVerified: true });
    });

    it('accepts a token of another client of the same project when it is listed in audiences', async () => {
      const settings = { ...options.connection?.settings, audiences: ['ios-app'] };
      const { connector } = setup({ settings });
      const { id_token } = await mint('n-101', { clientId: 'ios-app' });
      await expect(
        connector.verifyToken({ kind: 'id_token', value: String(id_token), clientId: 'ios-app' }),
      ).resolves.toMatchObject({
        subject: subjectOf('n-101'),
      });
    });

    it('rejects a token with idp_wrong_audience when it was issued to another app', async () => {
      const { connector } = setup();
      const { id_token } = await mint('n-102', { clientId: 'someone-else' });
      await expectConnectorError(
        connector.verifyToken({ kind: 'id_token', value: String(id_token) }),
        'wrong_audience',
      );
    });

    it('rejects a token when the clock is past its expiry', async () => {
      const { connector, clock } = setup();
      const { id_token } = await mint('n-103');
      clock.advance(2 * 3600 * 1000);
      const error = await expectConnectorError(
        connector.verifyToken({ kind: 'id_token', value: String(id_token) }),
        'invalid_token',
      );
      expect(error.message).toContain('expired');
    });

    it('rejects a token when its signature does not verify', async () => {
      const { connector } = setup();
      const { id_token } = await withMode('bad_signature', () => mint('n-104'));
      const error = await expectConnectorError(
        connector.verifyToken({ kind: 'id_token', value: String(id_token) }),
        'invalid_token',
      );
      expect(error.message).toContain('signature');
    });

    it('accepts a token signed with a new key when the JWKS is refetched after a rotation', async () => {
      const { connector } = setup();
      await connector.verifyToken({ kind: 'id_token', value: String((await mint('n-105')).id_token) });
      await options.idp().control({ provider: kind, rotateKeys: true });
      const { id_token } = await mint('n-105');
      await expect(connector.verifyToken({ kind: 'id_token', value: String(id_token) })).resolves.toMatchObject({
        subject: subjectOf('n-105'),
      });
    });

    it('rejects a token when it comes from another issuer', async () => {
      const { connector } = setup({ endpoints: options.foreignIssuer() });
      const { id_token } = await mint('n-106');
      const error = await expectConnectorError(
        connector.verifyToken({ kind: 'id_token', value: String(id_token) }),
        'invalid_token',
      );
      expect(error.message).toContain('issuer');
    });

    if (options.echoesNonce !== false) {
      it('rejects a token when its nonce is not the bound one', async () => {
        const { connector } = setup();
        const { id_token } = await mint('n-107', { nonce: 'expected' });
        await expect(
          connector.verifyToken({ kind: 'id_token', value: String(id_token), nonce: 'expected' }),
        ).resolves.toBeDefined();
        await expectConnectorError(
          connector.verifyToken({ kind: 'id_token', value: String(id_token), nonce: 'other' }),
          'invalid_token',
        );
      });
    }

    it('rejects an access token with unsupported_token_type', async () => {
      const { connector } = setup();
      const { access_token } = await mint('n-108');
      await expectConnectorError(
        connector.verifyToken({ kind: 'access_token', value: String(access_token) }),
        'unsupported_token_type',
      );
    });

    it('rejects a string that is not a JWT', async () => {
      const { connector } = setup();
      await expectConnectorError(connector.verifyToken({ kind: 'id_token', value: 'not-a-jwt' }), 'invalid_token');
    });

    it('fails with idp_unavailable when the provider is down and no keys are cached', async () => {
      const { connector } = setup();
      const { id_token } = await mint('n-109');
      const error = await withMode('down', () =>
        expectConnectorError(connector.verifyToken({ kind: 'id_token', value: String(id_token) }), 'idp_unavailable'),
      );
      expect(error).toBeInstanceOf(ConnectorError);
      // Discovery-based connectors fail one step earlier.
      expect(['jwks', 'discovery']).toContain((error as ConnectorError).step);
    });

    it('fails with idp_unavailable instead of hanging when the provider is slow', { timeout: 10_000 }, async () => {
      const { connector } = setup({}, 300);
      const { id_token } = await mint('n-110');
      const error = await withMode('slow', () =>
        expectConnectorError(connector.verifyToken({ kind: 'id_token', value: String(id_token) }), 'idp_unavailable'),
      );
      expect(error.message).toContain('300 ms');
    });
  });
};
