import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { idpProfile, userWithIdentities } from '../harness/accounts.js';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';
import { testDatabaseUrl } from '../harness/storage.js';
import { runGatehouseInProcess as runGatehouse } from './in-process.js';
import { cleanEnv } from './spawn-cli.js';

vi.setConfig({ testTimeout: 120_000 });

let gh: RunningGatehouse;
let userId: string;

beforeAll(async () => {
  gh = await startGatehouse();
  const tenant = await gh.core.tenants.create({ id: 'cli-unlink' });
  userId = await userWithIdentities(gh.core, tenant, [
    idpProfile('google', 'g', 'cli@example.com'),
    idpProfile('github', 'h', 'cli@example.com'),
  ]);
});
afterAll(async () => gh?.close());

describe('gatehouse user unlink', () => {
  it("unlinks an identity, and refuses the user's last way to sign in with one line and exit code 1", async () => {
    const env = cleanEnv({
      DATABASE_URL: testDatabaseUrl,
      GATEHOUSE_DATABASE_SCHEMA: gh.storage.schema ?? '',
      GATEHOUSE_MASTER_KEY: '0'.repeat(64),
      GATEHOUSE_MODE: 'test',
    });
    const first = await runGatehouse(
      ['user', 'unlink', 'cli@example.com', '--idp', 'github', '--tenant', 'cli-unlink'],
      { env },
    );
    expect(first.code).toBe(0);
    const shown = JSON.parse(first.stdout) as { id: string; identities: { idp: string }[] };
    expect(shown.id).toBe(userId);
    expect(shown.identities.map((i) => i.idp)).toEqual(['google']);

    const last = await runGatehouse(['user', 'unlink', userId, '--idp', 'google', '--tenant', 'cli-unlink'], { env });
    expect(last).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "gatehouse: last_login_method: this is the user's only way to sign in; set a password or link another provider first\n",
    });
    expect((await gh.core.users.identities(userId)).map((i) => i.idp)).toEqual(['google']);
  });
});
