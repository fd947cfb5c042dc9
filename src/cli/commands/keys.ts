import type { Command } from 'commander';
import { printJson, recordCliEvent, runWithApp } from '../run-with-app.js';
import { storeFlags } from '../store-options.js';

/** `gatehouse keys list|rotate`: a tenant's signing keys (public facts only). */
export const keysCommand = (program: Command): void => {
  const keys = program.command('keys').description("Manage a tenant's token signing keys.");

  storeFlags(
    keys
      .command('list')
      .description('List the signing keys (next, active, retired).')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (opts: { tenant: string }) => {
    await runWithApp(opts, async (app) => {
      const tenant = await app.core.tenants.require(opts.tenant);
      printJson(await app.core.keys.list(tenant.id));
    });
  });

  storeFlags(
    keys
      .command('rotate')
      .description('Rotate: the next key starts signing, the active one retires, a new next key is published.')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (opts: { tenant: string }) => {
    await runWithApp(opts, async (app) => {
      const tenant = await app.core.tenants.require(opts.tenant);
      const rotated = await app.core.keys.rotate(tenant.id);
      recordCliEvent(app, {
        type: 'keys.rotated',
        tenantId: tenant.id,
        details: { active: rotated.find((k) => k.state === 'active')?.kid },
      });
      printJson(rotated);
    });
  });
};
