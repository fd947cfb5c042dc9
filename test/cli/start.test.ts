import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../harness/gatehouse.js';
import {
  bin,
  cleanEnv,
  cliStore,
  masterKey,
  repoRoot,
  runCommand,
  type ServerProcess,
  startProcess,
  tempDir,
} from './spawn-cli.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 120_000 });

const adminToken = 'an-admin-token-for-this-test-0123456789';

const getJson = async (url: string, headers: Record<string, string> = {}) => {
  const response = await fetch(url, { headers });
  return { status: response.status, body: (await response.json()) as unknown };
};

describe('starting the server', () => {
  let running: ServerProcess | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('npm start on a fresh data dir serves /healthz and /readyz, seeds the demo and prints what a newcomer needs', async () => {
    const port = await freePort();
    const data = tempDir();
    running = startProcess('npm', ['start', '--', '--port', String(port), '--data', data], {
      env: cleanEnv(),
      group: true,
    });
    await running.waitFor('Gatehouse listening');
    await running.waitFor('Try a login');
    const url = `http://localhost:${port}`;
    expect(await getJson(`${url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await getJson(`${url}/readyz`)).toEqual({ status: 200, body: { status: 'ok' } });

    const banner = running.stdout();
    expect(banner).toContain(`public URL ${url}, mode development`);
    const devToken = /admin token \(shown once, kept in the data dir\): (\S+)/.exec(banner)?.[1];
    const secret = /client secret {3}(\S+)/.exec(banner)?.[1];
    expect(devToken).toMatch(/^gh_admin_/);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(banner).toContain('client id       demo-client');
    expect(banner).toContain(`issuer          ${url}/t/demo`);
    expect(banner).toMatch(/demo user {7}demo@example\.com \/ \S+/);
    expect(banner).toContain(`IdP emulator    ${url}/_emulator`);

    const tenants = await getJson(`${url}/admin/tenants`, { authorization: `Bearer ${devToken}` });
    expect(tenants).toMatchObject({ status: 200, body: { items: [{ id: 'demo', name: 'Demo' }] } });
    const idps = await getJson(`${url}/admin/tenants/demo/idps`, { authorization: `Bearer ${devToken}` });
    expect((idps.body as { items: { emulator: string }[] }).items.every((i) => i.emulator === `${url}/_emulator`)).toBe(
      true,
    );

    // The banner's "try a login" works as printed: the password grant with the demo client and user.
    const password = /demo user {7}demo@example\.com \/ (\S+)/.exec(banner)?.[1] ?? '';
    const tokenResponse = await fetch(`${url}/t/demo/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`demo-client:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'password', username: 'demo@example.com', password, scope: 'openid' }),
    });
    expect(tokenResponse.status).toBe(200);
    expect(await tokenResponse.json()).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });

    await running.stop();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    // A second start on the same data dir seeds nothing and shows no secret again.
    running = startProcess(process.execPath, [bin, 'serve', '--port', String(port), '--data', data], {
      env: cleanEnv(),
    });
    await running.waitFor('Gatehouse listening');
    await running.waitFor('Demo: the store already has tenants');
    expect(running.stdout()).not.toContain(secret);
    expect(running.stdout()).not.toContain(devToken);
    expect(running.stdout()).not.toContain('DEVELOPMENT');
  });

  it('in production has no demo, no emulator and no generated secrets', async () => {
    const port = await freePort();
    const data = tempDir();
    running = startProcess(process.execPath, [bin, 'serve', '--port', String(port), '--data', data], {
      env: cleanEnv({
        NODE_ENV: 'production',
        GATEHOUSE_MASTER_KEY: masterKey,
        GATEHOUSE_ADMIN_TOKEN: adminToken,
        GATEHOUSE_PUBLIC_URL: 'https://id.example.test',
      }),
    });
    await running.waitFor('Gatehouse listening');
    const url = `http://127.0.0.1:${port}`;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(await getJson(`${url}/admin/tenants`, { authorization: `Bearer ${adminToken}` })).toEqual({
      status: 200,
      body: { items: [] },
    });
    expect((await fetch(`${url}/_emulator/google/jwks`)).status).toBe(404);
    expect(running.stdout()).not.toMatch(/DEVELOPMENT|Demo|admin token \(/);
  });

  it('serves on PostgreSQL through DATABASE_URL and applies --import idempotently at each start', async () => {
    const store = cliStore('postgres');
    const document = join(tempDir(), 'config.json');
    writeFileSync(
      document,
      JSON.stringify({
        tenants: [{ id: 'acme', clients: [{ clientId: 'acme-web', redirectUris: ['https://acme.example/cb'] }] }],
      }),
    );
    try {
      const port = await freePort();
      const env = { ...store.env, GATEHOUSE_ADMIN_TOKEN: adminToken, GATEHOUSE_DEMO: 'true' };
      const serve = () =>
        startProcess(process.execPath, [bin, 'serve', '--port', String(port), '--import', document], {
          env,
          cwd: repoRoot,
        });
      running = serve();
      await running.waitFor('Gatehouse listening');
      expect(running.stdout()).toContain('tenants 1 created, 0 updated; clients 1 created, 0 updated');
      expect(running.stdout()).toMatch(/new client acme\/acme-web: secret \(shown once\) [A-Za-z0-9_-]{43}/);
      // The imported tenant makes the store non-empty: no demo even though it is asked for.
      expect(running.stdout()).toContain('Demo: the store already has tenants');
      const url = `http://127.0.0.1:${port}`;
      expect(await getJson(`${url}/readyz`)).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await getJson(`${url}/admin/tenants`, { authorization: `Bearer ${adminToken}` })).toMatchObject({
        body: { items: [{ id: 'acme' }] },
      });
      expect(await running.stop()).toBe(0);

      running = serve();
      await running.waitFor('Gatehouse listening');
      expect(running.stdout()).toContain('tenants 0 created, 0 updated; clients 0 created, 0 updated');
      expect(running.stdout()).not.toContain('new client');
    } finally {
      await running?.stop();
      running = undefined;
      await store.drop();
    }
  });
});

describe('gatehouse emulator', () => {
  it('serves the IdP emulator on its own port and stops on SIGTERM', async () => {
    const port = await freePort();
    const emulator = startProcess(process.execPath, [bin, 'emulator', '--port', String(port)], { env: cleanEnv() });
    try {
      await emulator.waitFor(`IdP emulator listening on http://127.0.0.1:${port}`);
      expect(emulator.stdout()).toContain(`"emulator": "http://127.0.0.1:${port}"`);
      const discovery = await getJson(`http://127.0.0.1:${port}/google/.well-known/openid-configuration`);
      expect(discovery).toMatchObject({ status: 200, body: { issuer: `http://127.0.0.1:${port}/google` } });
    } finally {
      expect(await emulator.stop()).toBe(0);
    }
  });
});

describe('npm run gatehouse', () => {
  it('runs the same CLI from a checkout', async () => {
    const data = tempDir();
    const result = await runCommand(
      'npm',
      ['run', '--silent', 'gatehouse', '--', 'tenant', 'create', 'acme', '--data', data],
      {
        cwd: repoRoot,
      },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 'acme', name: 'acme' });
  });
});
