import type { Command } from 'commander';
import type { ClientWithSecret } from '../../core/clients/client.js';
import { collect, printJson, recordCliEvent, runWithApp } from '../run-with-app.js';
import { storeFlags } from '../store-options.js';

interface CreateOpts {
  readonly tenant: string;
  readonly clientId?: string;
  readonly name?: string;
  readonly public?: boolean;
  readonly redirectUri: string[];
  readonly callbackUrl: string[];
  readonly grantType: string[];
  readonly consent?: string;
}

/** A client and, on create or rotation, its secret (shown once), flattened like the admin API's response. */
const withSecret = ({ client, clientSecret }: ClientWithSecret) => ({
  ...client,
  ...(clientSecret === undefined ? {} : { clientSecret }),
});

const nonEmpty = <T>(list: T[]): T[] | undefined => (list.length === 0 ? undefined : list);

/** `gatehouse client create|list|rotate-secret`. */
export const clientCommand = (program: Command): void => {
  const client = program.command('client').description("Manage a tenant's clients (applications).");

  storeFlags(
    client
      .command('create')
      .description('Create a client; a confidential client gets a generated secret, printed once.')
      .requiredOption('--tenant <id>', 'tenant id')
      .option('--client-id <id>', 'client id (generated when omitted)')
      .option('--name <name>', 'display name')
      .option('--public', 'a public client (SPA, native app): no secret, PKCE required')
      .option('--redirect-uri <uri>', 'exact OAuth redirect URI (repeatable)', collect, [])
      .option('--callback-url <url>', 'allowed post-login callback URL (repeatable)', collect, [])
      .option('--grant-type <grant>', 'allowed grant type (repeatable; default by client type)', collect, [])
      .option(
        '--consent <mode>',
        '`required`: a third-party application, whose scopes each user allows on a consent page; `skip` (default): first party',
      ),
  ).action(async (opts: CreateOpts) => {
    await runWithApp(opts as never, async (app) => {
      const tenant = await app.core.tenants.require(opts.tenant);
      const input = Object.fromEntries(
        Object.entries({
          clientId: opts.clientId,
          name: opts.name,
          public: opts.public,
          redirectUris: nonEmpty(opts.redirectUri),
          callbackUrls: nonEmpty(opts.callbackUrl),
          grantTypes: nonEmpty(opts.grantType),
          settings: opts.consent === undefined ? undefined : { consent: opts.consent },
        }).filter(([, v]) => v !== undefined),
      );
      const created = await app.core.clients.create(tenant.id, input);
      recordCliEvent(app, { type: 'client.created', tenantId: tenant.id, clientId: created.client.clientId });
      printJson(withSecret(created));
    });
  });

  storeFlags(
    client.command('list').description('List the clients of a tenant.').requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (opts: { tenant: string }) => {
    await runWithApp(opts, async (app) => {
      const tenant = await app.core.tenants.require(opts.tenant);
      printJson(await app.core.clients.list(tenant.id));
    });
  });

  storeFlags(
    client
      .command('rotate-secret')
      .description("Replace a confidential client's secret (printed once); the old one stops working at once.")
      .argument('<client-id>', 'client id')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (clientId: string, opts: { tenant: string }) => {
    await runWithApp(opts, async (app) => {
      const tenant = await app.core.tenants.require(opts.tenant);
      const rotated = await app.core.clients.rotateSecret(tenant.id, clientId);
      recordCliEvent(app, { type: 'client.secret_rotated', tenantId: tenant.id, clientId });
      printJson(withSecret(rotated));
    });
  });
};
