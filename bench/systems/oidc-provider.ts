import { basic, call, form } from '../lib/http.js';
import type { LoadSpec } from '../lib/load.js';
import { nextJson, spawnNode } from '../lib/process.js';
import type { RunningSystem, Scenario } from '../lib/scenarios.js';

interface Ready {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshTokens: string[];
}

/** Starts the peer (bench/servers/oidc-provider.ts) pinned to the server core. */
export const startOidcProvider = async (options: { profileDir?: string } = {}): Promise<RunningSystem> => {
  const child = spawnNode({
    name: 'oidc-provider',
    args: ['bench/servers/oidc-provider.ts'],
    env: { BENCH_REFRESH_TOKENS: '200', NODE_ENV: 'production' },
    ...(options.profileDir === undefined ? {} : { profileDir: options.profileDir }),
  });
  const ready = await nextJson<Ready>(child);
  const authorization = basic(ready.clientId, ready.clientSecret);
  const tokenHeaders = { authorization, 'content-type': 'application/x-www-form-urlencoded' };
  const pool = [...ready.refreshTokens];

  const tokenRequest = (fields: Record<string, string>) => ({
    method: 'POST' as const,
    path: '/token',
    headers: tokenHeaders,
    body: form(fields),
  });
  const scenarios = {
    client_credentials: async (): Promise<LoadSpec> => ({
      url: ready.url,
      request: tokenRequest({ grant_type: 'client_credentials', scope: 'api' }),
    }),
    // Each refresh token is used once; the rotated one each answer carries goes back into the pool.
    refresh_token: async (): Promise<LoadSpec> => ({
      url: ready.url,
      request: () => tokenRequest({ grant_type: 'refresh_token', refresh_token: pool.shift() ?? 'exhausted' }),
      onResponse: (status, body) => {
        if (status === 200) pool.push(String((JSON.parse(body) as { refresh_token: string }).refresh_token));
      },
    }),
    discovery: async (): Promise<LoadSpec> => ({
      url: ready.url,
      request: { method: 'GET', path: '/.well-known/openid-configuration' },
    }),
    jwks: async (): Promise<LoadSpec> => ({ url: ready.url, request: { method: 'GET', path: '/jwks' } }),
  } satisfies Partial<RunningSystem['scenarios']>;

  const probe = async (scenario: Scenario): Promise<string | undefined> => {
    try {
      if (scenario === 'client_credentials') {
        const body = (
          await call(`${ready.url}/token`, {
            method: 'POST',
            headers: tokenHeaders,
            body: form({ grant_type: 'client_credentials', scope: 'api' }),
          })
        ).json();
        return String(body.access_token).split('.').length === 3 ? undefined : 'no JWT access token';
      }
      if (scenario === 'refresh_token') {
        const body = (
          await call(`${ready.url}/token`, {
            method: 'POST',
            headers: tokenHeaders,
            body: form({ grant_type: 'refresh_token', refresh_token: pool.shift() ?? '' }),
          })
        ).json();
        if (typeof body.refresh_token !== 'string') return 'no rotated refresh token';
        pool.push(body.refresh_token);
        return typeof body.id_token === 'string' ? undefined : 'no ID token';
      }
      if (scenario === 'discovery') await call(`${ready.url}/.well-known/openid-configuration`);
      if (scenario === 'jwks') await call(`${ready.url}/jwks`);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };

  return {
    system: 'oidc-provider',
    label: 'oidc-provider 9 (memory adapter)',
    pid: child.pid,
    idleRss: child.rss(),
    scenarios,
    probe,
    stop: () => child.stop(),
  };
};
