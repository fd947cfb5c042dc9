import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredGrantTypes } from '../../../src/surfaces/shared/token/grants/index.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';

let gatehouse: RunningGatehouse;
let issuer: string;

beforeAll(async () => {
  gatehouse = await startGatehouse();
  await gatehouse.core.tenants.create({ id: 'discovery' });
  issuer = gatehouse.issuer('discovery');
});
afterAll(async () => {
  await gatehouse?.close();
});

describe('GET /t/:tenant/.well-known/openid-configuration', () => {
  it('publishes the full metadata of the tenant', async () => {
    const response = await fetch(`${issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await response.json()).toEqual({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      userinfo_endpoint: `${issuer}/userinfo`,
      jwks_uri: `${issuer}/jwks`,
      end_session_endpoint: `${issuer}/logout`,
      revocation_endpoint: `${issuer}/revoke`,
      introspection_endpoint: `${issuer}/introspect`,
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      // Derived from the grant registry; every one of these grants is served.
      grant_types_supported: registeredGrantTypes,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['S256'],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'nonce',
        'at_hash',
        'sid',
        'amr',
        'name',
        'given_name',
        'family_name',
        'picture',
        'updated_at',
        'email',
        'email_verified',
      ],
      prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('answers each tenant with its own document, the same every time, with the security headers', async () => {
    await gatehouse.core.tenants.create({ id: 'discovery-two' });
    const other = gatehouse.issuer('discovery-two');
    for (const iss of [issuer, other, issuer, other]) {
      const response = await fetch(`${iss}/.well-known/openid-configuration`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      const metadata = (await response.json()) as { issuer: string; jwks_uri: string };
      expect(metadata.issuer).toBe(iss);
      expect(metadata.jwks_uri).toBe(`${iss}/jwks`);
    }
  });

  it('lists at least the core grants', () => {
    expect(registeredGrantTypes).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials', 'password']),
    );
  });

  it('answers an unknown tenant with an RFC 6749 JSON 404', async () => {
    const response = await fetch(`${gatehouse.url}/t/unknown-tenant/.well-known/openid-configuration`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'invalid_request',
      error_description: 'tenant "unknown-tenant" does not exist',
    });
  });

  it('answers an unknown tenant the same once its absence is cached, and a malformed id without a lookup', async () => {
    for (const id of ['unknown-twice', 'unknown-twice', 'Not_A-Tenant']) {
      const response = await fetch(`${gatehouse.url}/t/${id}/.well-known/openid-configuration`);
      expect(response.status).toBe(404);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({
        error: 'invalid_request',
        error_description: `tenant "${id}" does not exist`,
      });
    }
  });
});

describe('GET /.well-known/oauth-authorization-server/t/:tenant (RFC 8414 §3)', () => {
  it('publishes the same document as OpenID discovery, with the same issuer', async () => {
    const response = await fetch(`${gatehouse.url}/.well-known/oauth-authorization-server/t/discovery`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const metadata = (await response.json()) as { issuer: string };
    // RFC 8414 §3.3: the issuer is the one the metadata was asked for by (path insertion undone).
    expect(metadata.issuer).toBe(issuer);
    const oidc = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    expect(metadata).toEqual(oidc);
  });

  it('answers an unknown tenant with an RFC 6749 JSON 404', async () => {
    const response = await fetch(`${gatehouse.url}/.well-known/oauth-authorization-server/t/nobody-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'invalid_request',
      error_description: 'tenant "nobody-here" does not exist',
    });
  });
});
