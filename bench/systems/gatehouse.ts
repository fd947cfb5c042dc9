import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { basic, call, form, freePort, mapLimit } from '../lib/http.js';
import type { LoadSpec } from '../lib/load.js';
import { spawnNode, waitForHttp } from '../lib/process.js';
import type { RunningSystem, Scenario } from '../lib/scenarios.js';

export const benchDatabaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const tenant = 'bench';
const clientId = 'bench-client';
const clientSecret = `bench-secret-${randomBytes(16).toString('hex')}`;
const adminToken = `bench-admin-${randomBytes(16).toString('hex')}`;
const masterKey = randomBytes(32).toString('hex');
const user = { email: 'bench-user@example.com', password: `pw-${randomBytes(12).toString('hex')}` };
/** The app id the IdP emulator mints tokens for. */
const idpAppId = 'gatehouse-bench-app';
const tokenExchange = 'urn:ietf:params:oauth:grant-type:token-exchange';
const idTokenType = 'urn:ietf:params:oauth:token-type:id_token';
const knownUsers = 256;

export interface GatehouseOptions {
  readonly store: 'postgres' | 'pglite';
  /** Base URL of the IdP emulator (bench/servers/emulator.ts). */
  readonly emulatorUrl: string;
  readonly profileDir?: string;
}

/** Mints Google-style ID tokens at the emulator, `count` of them, for `sub(i)`. */
const mintIdTokens = (emulatorUrl: string, count: number, sub: (i: number) => string): Promise<string[]> =>
  mapLimit(
    Array.from({ length: count }, (_, i) => i),
    16,
    async (i) => {
      const { id_token } = (
        await call(`${emulatorUrl}/google/_mint`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            clientId: idpAppId,
            sub: sub(i),
            email: `${sub(i)}@example.com`,
            emailVerified: true,
            givenName: 'Bench',
            familyName: 'User',
          }),
        })
      ).json();
      return String(id_token);
    },
  );

/**
 * Starts `gatehouse serve` (the real command) pinned to the server core, on PostgreSQL (a schema of its own in
 * DATABASE_URL) or on PGlite (a temporary data dir), and sets up the bench tenant through the admin API: one
 * confidential client, one user with a password, a Google connection pointed at the emulator.
 */
export const startGatehouse = async (options: GatehouseOptions): Promise<RunningSystem> => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const child = spawnNode({
    name: `gatehouse (${options.store})`,
    args: ['bin/gatehouse.js', 'serve'],
    tsx: false,
    env: {
      GATEHOUSE_MODE: 'test',
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_HOST: '127.0.0.1',
      GATEHOUSE_PUBLIC_URL: url,
      GATEHOUSE_MASTER_KEY: masterKey,
      GATEHOUSE_ADMIN_TOKEN: adminToken,
      GATEHOUSE_LOG_LEVEL: 'warn',
      GATEHOUSE_DATA_DIR: dataDir,
      NODE_ENV: undefined,
      REDIS_URL: undefined,
      ...(options.store === 'postgres'
        ? { DATABASE_URL: benchDatabaseUrl, GATEHOUSE_DATABASE_SCHEMA: schema }
        : { DATABASE_URL: undefined, GATEHOUSE_DATABASE_URL: undefined }),
    },
    ...(options.profileDir === undefined ? {} : { profileDir: options.profileDir }),
  });
  const cleanup = async () => {
    await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (options.store === 'postgres') {
      const client = new pg.Client({ connectionString: benchDatabaseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
    }
  };
  try {
    await waitForHttp(`${url}/healthz`, child);
    await call(`${url}/admin/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        version: 1,
        tenants: [
          {
            id: tenant,
            policies: { linking: 'merge_needed', mfa: 'off' },
            clients: [
              {
                clientId,
                clientSecret,
                grantTypes: ['client_credentials', 'refresh_token', 'password', tokenExchange],
                // A scope beyond OpenID Connect's is granted only where the client's settings list it. ID tokens
                // are ES256, as the oidc-provider client registers them (the default is RS256; see benchmarks.md).
                settings: {
                  scopes: ['openid', 'offline_access', 'email', 'profile', 'api'],
                  idTokenSignedResponseAlg: process.env.BENCH_ID_TOKEN_ALG ?? 'ES256',
                },
              },
            ],
            idps: [
              {
                id: 'google',
                kind: 'google',
                clientId: idpAppId,
                clientSecret: 'unused',
                emulator: options.emulatorUrl,
              },
            ],
            users: [{ email: user.email, password: user.password, emailVerified: true, firstName: 'Bench' }],
          },
        ],
      }),
    });
  } catch (error) {
    await cleanup();
    throw error;
  }

  const base = `${url}/t/${tenant}`;
  const authorization = basic(clientId, clientSecret);
  const tokenHeaders = { authorization, 'content-type': 'application/x-www-form-urlencoded' };
  const token = async (fields: Record<string, string>) =>
    (await call(`${base}/token`, { method: 'POST', headers: tokenHeaders, body: form(fields) })).json();
  const tokenRequest = (fields: Record<string, string>) => ({
    method: 'POST' as const,
    path: `/t/${tenant}/token`,
    headers: tokenHeaders,
    body: form(fields),
  });
  const passwordGrant = (scope: string) =>
    token({ grant_type: 'password', username: user.email, password: user.password, scope });

  let refreshPool: string[] | undefined;
  const refreshTokens = async (): Promise<string[]> => {
    refreshPool ??= (
      await mapLimit(Array.from({ length: 200 }), 2, () => passwordGrant('openid offline_access api'))
    ).map((body) => String(body.refresh_token));
    return refreshPool;
  };
  let accessToken: string | undefined;
  let knownSignedUp = false;
  let newUsers = 0;
  const exchange = (subjectToken: string) =>
    tokenRequest({
      grant_type: tokenExchange,
      subject_token: subjectToken,
      subject_token_type: idTokenType,
      // The tenant's connection id names the provider (RFC 8693 leaves `subject_issuer` to the server).
      subject_issuer: 'google',
      scope: 'openid',
    });

  const scenarios: RunningSystem['scenarios'] = {
    client_credentials: async () => ({
      url,
      request: tokenRequest({ grant_type: 'client_credentials', scope: 'api' }),
    }),
    refresh_token: async () => {
      const pool = await refreshTokens();
      return {
        url,
        request: () => tokenRequest({ grant_type: 'refresh_token', refresh_token: pool.shift() ?? 'exhausted' }),
        onResponse: (status, body) => {
          if (status === 200) pool.push(String((JSON.parse(body) as { refresh_token: string }).refresh_token));
        },
      } satisfies LoadSpec;
    },
    discovery: async () => ({ url, request: { method: 'GET', path: `/t/${tenant}/.well-known/openid-configuration` } }),
    jwks: async () => ({ url, request: { method: 'GET', path: `/t/${tenant}/jwks` } }),
    userinfo: async () => {
      accessToken ??= String((await passwordGrant('openid profile email')).access_token);
      return {
        url,
        request: { method: 'GET', path: `/t/${tenant}/userinfo`, headers: { authorization: `Bearer ${accessToken}` } },
      };
    },
    // Known users: 256 users who signed up before the run, signing in round robin, each request with an ID token of
    // its own, minted before the run: an ID token signs in once (native token binding, decision 0022), as a real app's
    // does, so every request verifies a new token's signature, spends it, and finds its returning user. Spread over
    // many users as real traffic is: one user signing in 50 times at once would measure waits on that user's row locks.
    social_login_known: async (wanted) => {
      if (!knownSignedUp) {
        const tokens = await mintIdTokens(options.emulatorUrl, knownUsers, (i) => `bench-known-${i}`);
        await mapLimit(tokens, 4, async (idToken) => {
          const request = exchange(idToken);
          await call(`${url}${request.path}`, { method: 'POST', headers: request.headers, body: request.body });
        });
        knownSignedUp = true;
      }
      const requests = Math.max(wanted, 200);
      const tokens = await mintIdTokens(options.emulatorUrl, requests, (i) => `bench-known-${i % knownUsers}`);
      return { url, request: () => exchange(tokens.shift() ?? 'exhausted'), amount: requests };
    },
    // Every request a user never seen before: one ID token per request, minted before the run.
    social_login_new: async (wanted) => {
      const requests = Math.max(wanted, 200);
      const start = newUsers;
      newUsers += requests;
      const tokens = await mintIdTokens(
        options.emulatorUrl,
        requests,
        (i) => `bench-new-${options.store}-${start + i}`,
      );
      return { url, request: () => exchange(tokens.shift() ?? 'exhausted'), amount: requests };
    },
  };

  const probe = async (scenario: Scenario): Promise<string | undefined> => {
    try {
      switch (scenario) {
        case 'client_credentials': {
          const body = await token({ grant_type: 'client_credentials', scope: 'api' });
          return String(body.access_token).split('.').length === 3 ? undefined : 'no JWT access token';
        }
        case 'refresh_token': {
          const pool = await refreshTokens();
          const body = await token({ grant_type: 'refresh_token', refresh_token: pool.shift() ?? '' });
          if (typeof body.refresh_token !== 'string') return 'no rotated refresh token';
          pool.push(body.refresh_token);
          return typeof body.id_token === 'string' ? undefined : 'no ID token';
        }
        case 'discovery':
          await call(`${base}/.well-known/openid-configuration`);
          return undefined;
        case 'jwks':
          await call(`${base}/jwks`);
          return undefined;
        case 'userinfo': {
          const spec = await (scenarios.userinfo as NonNullable<typeof scenarios.userinfo>)(1);
          const request = spec.request as { path: string; headers: Record<string, string> };
          await call(`${url}${request.path}`, { headers: request.headers });
          return undefined;
        }
        case 'social_login_known':
        case 'social_login_new': {
          const [idToken] = await mintIdTokens(options.emulatorUrl, 1, () => 'bench-probe-user');
          const request = exchange(String(idToken));
          await call(`${url}${request.path}`, { method: 'POST', headers: request.headers, body: request.body });
          return undefined;
        }
      }
    } catch (error) {
      return (error as Error).message;
    }
  };

  return {
    system: options.store === 'postgres' ? 'gatehouse' : 'gatehouse-pglite',
    label: options.store === 'postgres' ? 'Gatehouse (PostgreSQL)' : 'Gatehouse (PGlite)',
    pid: child.pid,
    idleRss: child.rss(),
    scenarios,
    probe,
    stop: cleanup,
  };
};
