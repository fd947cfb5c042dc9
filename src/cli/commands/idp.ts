import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { CliError, collect, printJson, runWithStore } from '../run-with-app.js';
import { storeFlags } from '../store-options.js';

interface SetOpts {
  readonly tenant: string;
  readonly kind: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly clientSecretFile?: string;
  readonly scope: string[];
  readonly endpoint: string[];
  readonly emulator?: string;
  readonly trustEmail?: boolean;
  readonly settings?: string;
}

const parseSettings = (text: string | undefined): Record<string, unknown> | undefined => {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CliError('--settings: must be a JSON object');
};

const parseEndpoints = (pairs: string[]): Record<string, string> | undefined => {
  if (pairs.length === 0) return undefined;
  const entries = pairs.map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError(`--endpoint ${JSON.stringify(pair)}: expected name=url`);
    return [pair.slice(0, at), pair.slice(at + 1)] as const;
  });
  return Object.fromEntries(entries);
};

const readSecret = (opts: SetOpts): string | undefined => {
  if (opts.clientSecret !== undefined && opts.clientSecretFile !== undefined)
    throw new CliError('give --client-secret or --client-secret-file, not both');
  if (opts.clientSecretFile === undefined) return opts.clientSecret;
  try {
    return readFileSync(opts.clientSecretFile, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new CliError(
      `--client-secret-file ${opts.clientSecretFile}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
};

/** `gatehouse idp set|list|remove`: a tenant's IdP connections. Secrets are sealed at rest and never printed. */
export const idpCommand = (program: Command, io: CliIo): void => {
  const idp = program.command('idp').description("Manage a tenant's identity provider connections.");

  storeFlags(
    idp
      .command('set')
      .description(
        'Create or replace an IdP connection (without a new secret, the stored one is kept); prints it with callbackUrl, the URL to register at the provider.',
      )
      .argument('<id>', 'connection id, e.g. google or acme-okta (the idp name clients send)')
      .requiredOption('--tenant <id>', 'tenant id')
      .requiredOption('--kind <kind>', 'facebook, google, microsoft, linkedin, apple, github or oidc')
      .requiredOption('--client-id <id>', "the app's client id at the provider")
      .option('--client-secret <secret>', "the app's secret (prefer --client-secret-file: arguments show in ps)")
      .option('--client-secret-file <file>', 'read the secret from a file (Apple: the .p8 key)')
      .option('--scope <scope>', 'scope to ask for (repeatable; default per provider)', collect, [])
      .option('--endpoint <name=url>', 'override one provider URL (development/test only; repeatable)', collect, [])
      .option('--emulator <url>', 'base URL of the local IdP emulator (development/test only)')
      .option('--trust-email', "count this connection's emails as verified where the provider does not say")
      .option('--settings <json>', 'kind-specific settings as a JSON object (e.g. {"issuer":"https://…"})'),
  ).action(async (id: string, opts: SetOpts) => {
    const clientSecret = readSecret(opts);
    const settings = parseSettings(opts.settings);
    const endpoints = parseEndpoints(opts.endpoint);
    const input = {
      kind: opts.kind,
      clientId: opts.clientId,
      ...(clientSecret === undefined ? {} : { clientSecret }),
      ...(opts.scope.length === 0 ? {} : { scopes: opts.scope }),
      ...(endpoints === undefined ? {} : { endpoints }),
      ...(opts.emulator === undefined ? {} : { emulator: opts.emulator }),
      ...(opts.trustEmail === undefined ? {} : { trustEmail: true }),
      ...(settings === undefined ? {} : { settings }),
    };
    await runWithStore(io, opts as never, 'idp set', async (store) =>
      printJson(io, await store.setIdp(opts.tenant, id, input)),
    );
  });

  storeFlags(
    idp
      .command('list')
      .description('List the IdP connections of a tenant.')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (opts: { tenant: string }) => {
    await runWithStore(io, opts, 'idp list', async (store) => printJson(io, await store.listIdps(opts.tenant)));
  });

  storeFlags(
    idp
      .command('remove')
      .description('Remove an IdP connection.')
      .argument('<id>', 'connection id')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (id: string, opts: { tenant: string }) => {
    await runWithStore(io, opts, 'idp remove', async (store) => {
      await store.removeIdp(opts.tenant, id);
      printJson(io, { removed: id, tenant: opts.tenant });
    });
  });
};
