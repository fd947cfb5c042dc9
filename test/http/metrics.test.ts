import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/core/tenants/tenant.js';
import { expectError } from '../connectors/support.js';
import { type EmulatorHarness, startEmulator } from '../harness/emulator.js';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';

let gh: RunningGatehouse;
let idp: EmulatorHarness;
let tenant: Tenant;

const scrape = async (): Promise<string> => {
  const response = await fetch(`${gh.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return response.text();
};

/** The value of one series, or undefined when it is absent. */
const seriesValue = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

beforeAll(async () => {
  [gh, idp] = await Promise.all([startGatehouse({ storage: 'pglite' }), startEmulator()]);
  tenant = await gh.core.tenants.create({ id: 'metrics', policies: { linking: 'merge_needed', mfa: 'off' } });
  await gh.core.connections.set(tenant.id, {
    id: 'google',
    kind: 'google',
    clientId: 'metrics-app',
    clientSecret: 'metrics-secret',
    emulator: idp.url,
  });
});
afterAll(async () => {
  await Promise.all([gh?.close(), idp?.close()]);
});

describe('GET /metrics', () => {
  it('counts requests by route pattern and status, with a latency histogram', async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${gh.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gh.url}/no/such/path?x=secret`)).status).toBe(404);
    const text = await scrape();
    expect(text).toContain('# TYPE gatehouse_http_requests_total counter');
    expect(seriesValue(text, 'gatehouse_http_requests_total{method="GET",route="/healthz",status="200"}')).toBe(3);
    expect(seriesValue(text, 'gatehouse_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(text).not.toContain('secret');
    expect(text).toContain('# TYPE gatehouse_http_request_duration_seconds histogram');
    expect(seriesValue(text, 'gatehouse_http_request_duration_seconds_count{method="GET",route="/healthz"}')).toBe(3);
    expect(
      seriesValue(text, 'gatehouse_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}'),
    ).toBe(3);
    expect(seriesValue(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('labels each route by its pattern, whatever its prefix, method or status', async () => {
    for (let i = 0; i < 2; i++) expect((await fetch(`${gh.url}/t/${tenant.id}/jwks`)).status).toBe(200);
    expect((await fetch(`${gh.url}/t/nobody/jwks`)).status).toBe(404);
    expect((await fetch(`${gh.url}/t/${tenant.id}/no-such-endpoint`)).status).toBe(404);
    expect((await fetch(`${gh.url}/healthz`, { method: 'HEAD' })).status).toBe(200);
    const text = await scrape();
    const route = 'route="/t/:tenant/jwks"';
    expect(seriesValue(text, `gatehouse_http_requests_total{method="GET",${route},status="200"}`)).toBe(2);
    expect(seriesValue(text, `gatehouse_http_requests_total{method="GET",${route},status="404"}`)).toBe(1);
    expect(seriesValue(text, `gatehouse_http_request_duration_seconds_count{method="GET",${route}}`)).toBe(3);
    expect(
      seriesValue(text, 'gatehouse_http_requests_total{method="GET",route="unmatched",status="404"}'),
    ).toBeGreaterThanOrEqual(2);
    expect(seriesValue(text, 'gatehouse_http_requests_total{method="HEAD",route="/healthz",status="200"}')).toBe(1);
  });

  it('counts logins by IdP and outcome, and times the IdP validation', async () => {
    const token = async (sub: string) => {
      const minted = await idp.mint('google', {
        clientId: 'metrics-app',
        sub,
        email: `${sub}@example.com`,
        emailVerified: true,
      });
      return { kind: 'id_token' as const, value: String(minted.id_token) };
    };
    const signIn = async (sub: string, intent: 'login' | 'signup') =>
      gh.core.login.signInWithIdpToken({
        tenant,
        connectionId: 'google',
        token: await token(sub),
        intent: { kind: intent },
      });
    await signIn('m-1', 'signup');
    await signIn('m-1', 'login');
    await signIn('m-2', 'login');
    const text = await scrape();
    expect(seriesValue(text, 'gatehouse_logins_total{idp="google",outcome="created"}')).toBe(1);
    expect(seriesValue(text, 'gatehouse_logins_total{idp="google",outcome="logged_in"}')).toBe(1);
    expect(seriesValue(text, 'gatehouse_logins_total{idp="google",outcome="new_user_required"}')).toBe(1);
    expect(
      seriesValue(
        text,
        'gatehouse_idp_request_duration_seconds_count{idp="google",kind="google",operation="verify_token"}',
      ),
    ).toBe(3);
  });

  it('counts IdP failures by the step that failed', async () => {
    // A token signed by a key the cached JWKS does not hold sends the connector back to the IdP, which is down.
    await idp.control({ rotateKeys: true });
    const minted = await idp.mint('google', { clientId: 'metrics-app', sub: 'm-3' });
    await idp.control({ provider: 'google', mode: 'down' });
    try {
      await expectError(
        gh.core.login.signInWithIdpToken({
          tenant,
          connectionId: 'google',
          token: { kind: 'id_token', value: String(minted.id_token) },
          intent: { kind: 'login' },
        }),
        'idp_unavailable',
      );
    } finally {
      await idp.control({ provider: 'google', mode: 'normal' });
    }
    const text = await scrape();
    expect(text).toMatch(/gatehouse_logins_total\{idp="google",outcome="failed"\} [1-9]/);
    expect(text).toMatch(/gatehouse_idp_errors_total\{idp="google",kind="google",step="[a-z_]+"\} [1-9]/);
  });
});

describe('GET /metrics in production', () => {
  const production = { mode: 'production', publicUrl: 'https://id.example' } as const;

  it('is off without a metrics token', async () => {
    const off = await startGatehouse({ storage: 'pglite', config: production });
    try {
      const response = await fetch(`${off.url}/metrics`);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('gatehouse_http_requests_total');
    } finally {
      await off.close();
    }
  });

  it('answers only to its bearer token with a metrics token', async () => {
    const metricsToken = 'metrics-token-0123456789abcdef';
    const guarded = await startGatehouse({ storage: 'pglite', config: { ...production, metricsToken } });
    try {
      for (const authorization of [undefined, 'Bearer not-the-metrics-token', `Bearer ${guarded.adminToken}`]) {
        const refused = await fetch(`${guarded.url}/metrics`, {
          headers: authorization === undefined ? {} : { authorization },
        });
        expect(refused.status).toBe(401);
        expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
        expect(await refused.json()).toMatchObject({ title: 'unauthorized', status: 401 });
      }
      const scraped = await fetch(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('gatehouse_http_requests_total');
    } finally {
      await guarded.close();
    }
  });
});
