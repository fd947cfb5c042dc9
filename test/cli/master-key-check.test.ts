/**
 * An instance started with another master key than the store's refuses to start, in one line with exit code 2, and
 * seals nothing: the healthy instance keeps serving, including the first signature of a tenant with no keys yet.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../harness/gatehouse.js';
import { testDatabaseUrl } from '../harness/storage.js';
import { runGatehouseInProcess } from './in-process.js';
import {
  bin,
  type CliStore,
  cliStore,
  json,
  masterKey,
  repoRoot,
  type ServerProcess,
  startProcess,
} from './spawn-cli.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 120_000 });

const adminToken = 'an-admin-token-for-this-test-0123456789';
const otherKey = randomBytes(32).toString('hex');
const refusal =
  'gatehouse: configuration: GATEHOUSE_MASTER_KEY (masterKey): is not the key this store is sealed with; start every instance with the same master key\n';

/** The environment of a process on `store` with `key`, in test mode (no demo, no emulator). */
const envOf = (store: CliStore, key: string) => ({
  ...store.env,
  GATEHOUSE_MODE: 'test',
  GATEHOUSE_MASTER_KEY: key,
  GATEHOUSE_ADMIN_TOKEN: adminToken,
});

const serve = async (store: CliStore, key: string): Promise<{ process: ServerProcess; url: string }> => {
  const port = await freePort();
  const process_ = startProcess(process.execPath, [bin, 'serve', '--port', String(port), ...store.args], {
    env: envOf(store, key),
    cwd: repoRoot,
  });
  return { process: process_, url: `http://127.0.0.1:${port}` };
};

/** How a `serve` with the wrong key ends: its exit code, or `listening` if it started (the bug). */
const outcomeOf = async (running: ServerProcess): Promise<number | null | 'listening'> =>
  Promise.race([
    new Promise<number | null>((resolve) => running.child.once('exit', (code) => resolve(code))),
    running.waitFor('Gatehouse listening').then(
      () => 'listening' as const,
      () => new Promise<never>(() => {}),
    ),
  ]);

const clientCredentials = async (url: string, tenant: string, clientId: string, secret: string) => {
  const response = await fetch(`${url}/t/${tenant}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
    signal: AbortSignal.timeout(30_000),
  });
  return response.status;
};

/** Runs `sql` in the store's schema. */
const query = async (store: CliStore, sql: string, values: unknown[] = []) => {
  const client = new pg.Client({
    connectionString: testDatabaseUrl,
    options: `-c search_path="${String(store.env.GATEHOUSE_DATABASE_SCHEMA)}"`,
  });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
};

describe('the master key check at start', () => {
  const running: ServerProcess[] = [];
  const stores: CliStore[] = [];
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    for (const s of stores.splice(0)) await s.drop();
  });

  it('on PostgreSQL: a second instance with another key refuses in one line, the healthy one keeps serving', async () => {
    const store = cliStore('postgres');
    stores.push(store);
    const healthy = await serve(store, masterKey);
    running.push(healthy.process);
    await healthy.process.waitFor('Gatehouse listening');
    expect((await query(store, 'select count(*)::int as n from master_key_checks'))[0]).toEqual({ n: 1 });

    const cli = (...args: string[]) => runGatehouseInProcess(args, { env: envOf(store, masterKey) });
    json(await cli('tenant', 'create', 'acme', '--name', 'Acme'));
    const { clientSecret } = json<{ clientSecret: string }>(
      await cli(
        'client',
        'create',
        '--tenant',
        'acme',
        '--client-id',
        'acme-svc',
        '--grant-type',
        'client_credentials',
      ),
    );

    // The tenant has no signing keys yet: the first instance to sign makes them. The one with the wrong key never may.
    const wrong = await serve(store, otherKey);
    running.push(wrong.process);
    expect(await outcomeOf(wrong.process)).toBe(2);
    expect(wrong.process.stderr()).toBe(refusal);
    expect(await query(store, "select kid from signing_keys where tenant_id = 'acme'")).toEqual([]);
    // Nor does any other command with that key.
    const listed = await runGatehouseInProcess(['tenant', 'list'], { env: envOf(store, otherKey) });
    expect({ code: listed.code, stderr: listed.stderr }).toEqual({ code: 2, stderr: refusal });

    expect(await clientCredentials(healthy.url, 'acme', 'acme-svc', clientSecret)).toBe(200);
    expect((await fetch(`${healthy.url}/t/acme/jwks`)).status).toBe(200);
    expect((await fetch(`${healthy.url}/readyz`)).status).toBe(200);
  });

  it('on PostgreSQL: a store from before the check adopts the first key that opens its secrets, and no other', async () => {
    const store = cliStore('postgres');
    stores.push(store);
    const cli = (key: string, ...args: string[]) => runGatehouseInProcess(args, { env: envOf(store, key) });
    json(await cli(masterKey, 'tenant', 'create', 'acme'));
    json(await cli(masterKey, 'keys', 'rotate', '--tenant', 'acme'));
    // As it was before the check existed: secrets sealed with the key, and no check value.
    await query(store, 'delete from master_key_checks');

    const refused = await cli(otherKey, 'tenant', 'list');
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({ code: 2, stderr: refusal });
    expect(await query(store, 'select id from master_key_checks')).toEqual([]);

    const healthy = await serve(store, masterKey);
    running.push(healthy.process);
    await healthy.process.waitFor('Gatehouse listening');
    expect(await query(store, 'select id from master_key_checks')).toEqual([{ id: 'master' }]);
    const wrong = await serve(store, otherKey);
    running.push(wrong.process);
    expect(await outcomeOf(wrong.process)).toBe(2);
    expect(wrong.process.stderr()).toBe(refusal);
  });

  it('on PGlite: a start with another key than the data dir was sealed with refuses in one line', async () => {
    const store = cliStore('pglite');
    const cli = (key: string, ...args: string[]) =>
      runGatehouseInProcess([...args, ...store.args], { env: envOf(store, key) });
    json(await cli(masterKey, 'tenant', 'create', 'acme'));

    const wrong = await serve(store, otherKey);
    running.push(wrong.process);
    expect(await outcomeOf(wrong.process)).toBe(2);
    expect(wrong.process.stderr()).toBe(refusal);

    const healthy = await serve(store, masterKey);
    running.push(healthy.process);
    await healthy.process.waitFor('Gatehouse listening');
    expect((await fetch(`${healthy.url}/t/acme/jwks`)).status).toBe(200);
  });
});
