import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { CliError, collect, printJson, runWithStore } from '../run-with-app.js';
import { storeFlags } from '../store-options.js';
import { brandingOf } from './tenant.js';

interface CreateOpts {
  readonly tenant: string;
  readonly clientId?: string;
  readonly name?: string;
  readonly public?: boolean;
  readonly redirectUri: string[];
  readonly callbackUrl: string[];
  readonly grantType: string[];
  readonly consent?: string;
  readonly idTokenAlg?: string;
  readonly allowedOrigin: string[];
  readonly displayName?: string;
  readonly logo?: string;
  readonly primaryColor?: string;
  readonly supportUrl?: string;
}

const nonEmpty = <T>(list: T[]): T[] | undefined => (list.length === 0 ? undefined : list);

const settingsOf = (opts: CreateOpts): Record<string, unknown> | undefined => {
  const settings = Object.fromEntries(
    Object.entries({
      consent: opts.consent,
      idTokenSignedResponseAlg: opts.idTokenAlg,
      allowedOrigins: nonEmpty(opts.allowedOrigin),
      branding: brandingOf({
        displayName: opts.displayName,
        logo: opts.logo,
        primaryColor: opts.primaryColor,
        supportUrl: opts.supportUrl,
      }),
    }).filter(([, v]) => v !== undefined),
  );
  return Object.keys(settings).length === 0 ? undefined : settings;
};

/** `gatehouse client create|list|rotate-secret`. */
export const clientCommand = (program: Command, io: CliIo): void => {
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
      )
      .option('--id-token-alg <alg>', 'how ID tokens are signed: RS256 (default) or ES256')
      .option(
        '--allowed-origin <origin>',
        'web origin (scheme://host[:port]) whose scripts may call the token endpoints (repeatable)',
        collect,
        [],
      )
      .option('--display-name <name>', "the name this client's hosted pages show, over the tenant's branding")
      .option('--logo <url>', 'logo of its hosted pages: an https image URL or a data:image/…;base64, URI')
      .option('--primary-color <hex>', 'colour of buttons and links on its pages, #rgb or #rrggbb')
      .option('--support-url <url>', 'where its users get help: an https URL or mailto: address'),
  ).action(async (opts: CreateOpts) => {
    const input = Object.fromEntries(
      Object.entries({
        clientId: opts.clientId,
        name: opts.name,
        public: opts.public,
        redirectUris: nonEmpty(opts.redirectUri),
        callbackUrls: nonEmpty(opts.callbackUrl),
        grantTypes: nonEmpty(opts.grantType),
        settings: settingsOf(opts),
      }).filter(([, v]) => v !== undefined),
    );
    await runWithStore(io, opts as never, 'client create', async (store) =>
      printJson(io, await store.createClient(opts.tenant, input)),
    );
  });

  storeFlags(
    client.command('list').description('List the clients of a tenant.').requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (opts: { tenant: string }) => {
    await runWithStore(io, opts, 'client list', async (store) => printJson(io, await store.listClients(opts.tenant)));
  });

  storeFlags(
    client
      .command('rotate-secret')
      .description(
        "Replace a confidential client's secret (printed once); the old one keeps working for --grace seconds (default 0).",
      )
      .argument('<client-id>', 'client id')
      .option('--grace <seconds>', 'how long the old secret keeps working, 0–2592000 (default 0)')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (clientId: string, opts: { tenant: string; grace?: string }) => {
    const grace = opts.grace === undefined ? 0 : Number(opts.grace);
    if (!/^\d+$/.test(opts.grace ?? '0') || grace > 2592000) throw new CliError('--grace: seconds, 0–2592000');
    await runWithStore(io, opts, 'client rotate-secret', async (store) =>
      printJson(io, await store.rotateClientSecret(opts.tenant, clientId, grace)),
    );
  });

  for (const [verb, list, change, description] of [
    ['add-redirect-uri', 'redirectUris', 'add', 'Add one OAuth redirect URI.'],
    ['remove-redirect-uri', 'redirectUris', 'remove', 'Remove one OAuth redirect URI.'],
    ['add-callback-url', 'callbackUrls', 'add', 'Add one post-login callback URL.'],
    ['remove-callback-url', 'callbackUrls', 'remove', 'Remove one post-login callback URL.'],
  ] as const) {
    storeFlags(
      client
        .command(verb)
        .description(description)
        .argument('<client-id>', 'client id')
        .argument('<url>', 'the URL, exactly')
        .requiredOption('--tenant <id>', 'tenant id'),
    ).action(async (clientId: string, url: string, opts: { tenant: string }) => {
      await runWithStore(io, opts, `client ${verb}`, async (store) =>
        printJson(io, await store.changeClientUrl(opts.tenant, clientId, list, change, url)),
      );
    });
  }
};
