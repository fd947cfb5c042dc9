import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/connectors/errors.js';
import {
  connectorDefinition,
  connectorTypes,
  createConnector,
  isConnectorType,
  validateConnectionSettings,
} from '../../src/connectors/registry.js';
import { aConnection, anUpstreamRequest, testDeps } from './support.js';

const thrown = (run: () => unknown): ConnectorError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectorError);
    return error as ConnectorError;
  }
  throw new Error('expected a throw');
};

describe('connector registry', () => {
  it('lists every kind once, in registry order', () => {
    expect(connectorTypes).toEqual(['facebook', 'google', 'microsoft', 'linkedin', 'apple', 'github', 'oidc']);
    // Each kind names its own implementation, not a copy of another's.
    expect(connectorTypes.map((kind) => connectorDefinition(kind).displayName)).toEqual([
      'Facebook',
      'Google',
      'Microsoft',
      'LinkedIn',
      'Apple',
      'GitHub',
      'OpenID Connect',
    ]);
  });

  it('knows no kind beyond the list, not even a name every object has', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'Google', '']) {
      expect(isConnectorType(name), name).toBe(false);
      expect(thrown(() => connectorDefinition(name)).message).toContain(`unknown connector kind "${name}"`);
    }
  });

  it('refuses an unknown kind with invalid_request', () => {
    expect(thrown(() => createConnector(aConnection('myspace'), testDeps().deps)).code).toBe('invalid_config');
  });

  it('refuses settings the kind does not define, naming each problem', () => {
    const error = thrown(() => validateConnectionSettings('google', { hostedDomain: 7, colour: 'blue' }));
    expect(error.code).toBe('invalid_config');
    expect(error.details?.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'settings.hostedDomain' })]),
    );
  });

  it('applies setting defaults', () => {
    expect(validateConnectionSettings('microsoft', {})).toEqual({ tenant: 'common' });
  });

  it('refuses a connection without a client secret when the kind needs one', () => {
    const error = thrown(() => createConnector(aConnection('google', { clientSecret: '' }), testDeps().deps));
    expect(error.code).toBe('invalid_config');
  });

  it('refuses the emulator and plain-http endpoints when insecure upstreams are not allowed', () => {
    const { deps } = testDeps({ allowInsecureUpstreams: false });
    for (const overrides of [
      { emulator: 'http://127.0.0.1:1' },
      { endpoints: { token: 'http://idp.example/token' } },
    ]) {
      const error = thrown(() => createConnector(aConnection('google', overrides), deps));
      expect(error.code).toBe('invalid_config');
      expect(error.step).toBe('config');
      expect(error.message).toContain('allowInsecureUpstreams');
    }
  });

  it('accepts https endpoint overrides in production (GitHub Enterprise Server, sovereign clouds)', async () => {
    const { deps } = testDeps({ allowInsecureUpstreams: false });
    const ghes = createConnector(
      aConnection('github', {
        endpoints: {
          authorization: 'https://github.acme.example/login/oauth/authorize',
          token: 'https://github.acme.example/login/oauth/access_token',
          api: 'https://github.acme.example/api/v3',
        },
      }),
      deps,
    );
    const url = await ghes.authorizationUrl(anUpstreamRequest());
    expect(url.origin).toBe('https://github.acme.example');
  });

  it('refuses an endpoint name the kind does not have', () => {
    const error = thrown(() =>
      createConnector(aConnection('github', { endpoints: { jwks: 'https://x.example' } }), testDeps().deps),
    );
    expect(error.message).toContain('unknown endpoint "jwks"');
  });

  it('builds a connector for every kind without touching the network', () => {
    for (const kind of connectorTypes) {
      const settings =
        kind === 'apple'
          ? { teamId: 'TEAM123456', keyId: 'KEY1234567' }
          : kind === 'oidc'
            ? { issuer: 'https://idp.example' }
            : {};
      const clientSecret = kind === 'apple' ? appleKey : 'secret';
      const connector = createConnector(aConnection(kind, { settings, clientSecret }), {
        ...testDeps().deps,
        fetch: failFetch,
      });
      expect(connector.kind).toBe(kind);
    }
  });
});

const failFetch: typeof fetch = async () => {
  throw new Error('no network in this test');
};

const appleKey = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgevZzL1gdAFr88hb2
OF/2NxApJCzGCEDdfSp6VQO30hyhRANCAAQRWz+jn65BtOMvdyHKcvjBeBSDZH2r
1RTwjmYSi9R/zpBnuQ4EiMnCqfMPWiZqB4QdbAd0E7oH50VpuZ1P087G
-----END PRIVATE KEY-----`;
