import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';
import { testDatabaseUrl } from '../harness/storage.js';
import { runGatehouseInProcess as runGatehouse } from './in-process.js';
import { cleanEnv, json } from './spawn-cli.js';

vi.setConfig({ testTimeout: 120_000 });

let gh: RunningGatehouse;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  gh = await startGatehouse();
  await gh.core.tenants.create({ id: 'cli-acme' });
  await gh.core.tenants.create({ id: 'cli-globex' });
  env = cleanEnv({
    DATABASE_URL: testDatabaseUrl,
    GATEHOUSE_DATABASE_SCHEMA: gh.storage.schema ?? '',
    GATEHOUSE_MASTER_KEY: '0'.repeat(64),
    GATEHOUSE_MODE: 'test',
  });
});
afterAll(async () => gh?.close());

const adminGet = (path: string, token: string) =>
  fetch(`${gh.url}${path}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

describe('gatehouse admin-token', () => {
  it('creates a scoped tenant token (printed once) that the admin API honours, lists it, and revokes it', async () => {
    const created = json<{ id: string; token: string; tenant: string; scopes: string[] }>(
      await runGatehouse(
        ['admin-token', 'create', '--tenant', 'cli-acme', '--scope', 'users:read', '--scope', 'audit:read'],
        { env },
      ),
    );
    expect(created).toMatchObject({ tenant: 'cli-acme', scopes: ['users:read', 'audit:read'] });
    expect(created.token).toMatch(/^gh_at_/);
    expect(await adminGet('/admin/tenants/cli-acme/users', created.token)).toBe(200);
    expect(await adminGet('/admin/tenants/cli-globex/users', created.token)).toBe(404);
    expect(await adminGet('/admin/tenants/cli-acme/keys', created.token)).toBe(403);

    const listed = await runGatehouse(['admin-token', 'list'], { env });
    expect(json<{ id: string }[]>(listed).map((t) => t.id)).toContain(created.id);
    expect(listed.stdout).not.toContain(created.token);

    const revoked = json<{ revokedAt: string | null }>(
      await runGatehouse(['admin-token', 'revoke', created.id], { env }),
    );
    expect(revoked.revokedAt).not.toBeNull();
    expect(await adminGet('/admin/tenants/cli-acme/users', created.token)).toBe(401);
  });

  it('refuses an unknown scope or tenant with one line and exit code 1', async () => {
    expect(await runGatehouse(['admin-token', 'create', '--scope', 'users:delete'], { env })).toEqual({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^gatehouse: invalid_request: body\.scopes\.0: .*\n$/),
    });
    expect(
      await runGatehouse(['admin-token', 'create', '--tenant', 'initech', '--scope', 'users:read'], { env }),
    ).toEqual({ code: 1, stdout: '', stderr: 'gatehouse: not_found: tenant "initech" does not exist\n' });
  });
});
