import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserFetch, CookieJar } from '../../harness/clients.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites } from '../../harness/storage.js';
import { authorizeUrl, redirectUri, setUpTenant, type TestTenant } from './fixture.js';

// OIDC Core §6.1 and §6.2: a server that does not support request objects answers `request_not_supported` or
// `request_uri_not_supported` (§3.1.2.6), as an authorization error response to the client.

let gatehouse: RunningGatehouse;
let tenant: TestTenant;

beforeAll(async () => {
  gatehouse = await startGatehouse();
  tenant = await setUpTenant(gatehouse, 'reqobj');
});
afterAll(async () => {
  await gatehouse?.close();
});

const get = (url: string) =>
  expectNoWrites(gatehouse.storage.db, async () => {
    const response = await browserFetch(new CookieJar(), url);
    return { status: response.status, location: response.headers.get('location'), text: await response.text() };
  });

const errorOf = (location: string | null) => {
  expect(location).not.toBeNull();
  const url = new URL(location as string);
  expect(`${url.origin}${url.pathname}`).toBe(redirectUri);
  return Object.fromEntries(url.searchParams);
};

describe('GET /t/:tenant/authorize with a request object', () => {
  it.each([
    ['request', 'request_not_supported', 'eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9.'],
    ['request_uri', 'request_uri_not_supported', 'https://rp.example/request.jwt'],
  ])('sends %s back to the client as %s, with state and iss', async (parameter, error, value) => {
    const response = await get(authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId, [parameter]: value }));
    expect(response.status).toBe(303);
    expect(errorOf(response.location)).toEqual({
      error,
      error_description: `the ${parameter} parameter is not supported`,
      state: 'state-123',
      iss: tenant.issuer,
    });
  });

  it('says request_not_supported when a request is otherwise wrong too', async () => {
    const response = await get(
      authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId, response_type: 'token', request: 'x.y.z' }),
    );
    expect(errorOf(response.location).error).toBe('request_not_supported');
  });

  it('never redirects when the client or redirect URI is not trusted', async () => {
    const response = await get(
      authorizeUrl(tenant.issuer, {
        client_id: tenant.web.clientId,
        redirect_uri: 'https://evil.example/cb',
        request: 'x.y.z',
      }),
    );
    expect(response.status).toBe(400);
    expect(response.location).toBeNull();
    expect(response.text).not.toContain('evil.example');
  });

  it('is announced as unsupported in discovery', async () => {
    const metadata = (await (await fetch(`${tenant.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(metadata).toMatchObject({ request_parameter_supported: false, request_uri_parameter_supported: false });
  });
});
