import type { FastifyInstance } from 'fastify';
import { type App, compose } from '../../compose.js';
import { envName } from '../../config/env-names.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import type { ImportResult } from '../../core/config-io/index.js';
import type { DemoSeedResult } from '../../core/demo/index.js';
import { ConfigError } from '../../core/errors.js';
import { trackConnections } from '../../lib/connection-drain.js';
import type { CliIo } from '../io.js';
import { storeOptions } from '../store-options.js';
import { readDocument } from './config-io.js';

/** Runs `gatehouse serve` with the store flags and options in `opts`, until a signal stops it. */
export const runServe = async (io: CliIo, opts: Record<string, string | undefined>): Promise<void> => {
  const config = loadConfig(
    storeOptions(io, opts, {
      port: opts.port === undefined ? undefined : /^\d+$/.test(opts.port) ? Number(opts.port) : opts.port,
      host: opts.host,
      publicUrl: opts.publicUrl,
      importFile: opts.import,
    }),
  );
  // A document that cannot be read is a configuration error, found before the store is opened.
  const importDocument = readImportDocument(config);
  const app = await compose(config);
  let server: FastifyInstance | undefined;
  let connections: ReturnType<typeof trackConnections>;
  try {
    server = await app.server();
    connections = trackConnections(server.server);
    const report = await runStartupTasks(app, importDocument);
    const address = await server.listen({ port: config.port, host: config.host });
    // Other processes on this data directory send their changes here (`gatehouse tenant create` while it runs).
    if (app.adminToken !== undefined) app.lock?.advertise(adminUrlOf(server));
    io.stdout.write(`${startupBanner(app, address, report)}\n`);
  } catch (error) {
    await server?.close();
    await app.close();
    throw error;
  }
  stopOnSignals(app, server, connections);
};

/** Where this process answers its own admin API: the bound address, a loopback one when it listens on all. */
const adminUrlOf = (server: FastifyInstance): string => {
  const bound = server.server.address();
  if (bound === null || typeof bound === 'string') throw new Error('the server is not listening on TCP');
  const host =
    bound.address === '0.0.0.0'
      ? '127.0.0.1'
      : bound.address === '::'
        ? '[::1]'
        : bound.family === 'IPv6'
          ? `[${bound.address}]`
          : bound.address;
  return `http://${host}:${bound.port}`;
};

/**
 * Graceful stop on SIGTERM or SIGINT: stop accepting, close idle connections, let requests in flight finish, then
 * close the store (flushing what is buffered) and exit 0. When `shutdownGraceMs` runs out first, or a second signal
 * comes, every connection is closed at once and the exit code is 1.
 */
const stopOnSignals = (app: App, server: FastifyInstance, connections: ReturnType<typeof trackConnections>): void => {
  // Expired codes, tokens, sessions and flows are deleted every ten minutes by every instance (idempotent).
  const stopMaintenance = app.core.maintenance.start();
  const graceMs = app.config.shutdownGraceMs;
  let stopping = false;
  let forced = false;
  const force = (why: string): void => {
    forced = true;
    process.exitCode = 1;
    const { connections: open, requests } = connections.counts();
    process.stdout.write(
      `Gatehouse: ${why}; closing the remaining connections (${open} open, ${requests} requests in flight)\n`,
    );
    connections.destroyAll();
    // The store may hang as well: the process ends regardless.
    setTimeout(() => process.exit(1), 5000).unref();
  };
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return force(`${signal} again`);
    stopping = true;
    process.stdout.write(`Gatehouse stopping (${signal}): finishing requests in flight, for at most ${graceMs} ms\n`);
    const timer = setTimeout(() => force(`the shutdown grace of ${graceMs} ms is over`), graceMs);
    stopMaintenance();
    try {
      const closing = server.close();
      connections.drain();
      await closing;
      await app.close();
    } catch (error) {
      forced = true;
      app.log.error({ err: error }, 'shutdown.failed');
    }
    clearTimeout(timer);
    process.exit(forced ? 1 : 0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
};

/** Whether `npm start` seeds the demo tenant: on by default in development, only on request in test, never in production. */
export const demoEnabled = (config: Config): boolean =>
  config.mode === 'development' ? (config.demo ?? true) : config.mode === 'test' && config.demo === true;

/** What the start-up tasks did, for the banner. */
export interface StartupReport {
  readonly imported?: ImportResult;
  readonly demo?: DemoSeedResult;
}

/**
 * The `--import` document (`importFile`), read and parsed; undefined without one.
 * @throws ConfigError when it cannot be read or is not JSON.
 */
export const readImportDocument = (config: Readonly<Config>): unknown => {
  const file = config.importFile;
  if (file === undefined) return undefined;
  try {
    return readDocument(file);
  } catch (error) {
    throw new ConfigError(`${envName('importFile')} (importFile): ${(error as Error).message}`);
  }
};

/** Work done once at start after migration: the `--import` document and, in development, the demo tenant. */
export const runStartupTasks = async (
  app: App,
  importDocument: unknown = readImportDocument(app.config),
): Promise<StartupReport> => {
  const imported =
    importDocument === undefined
      ? undefined
      : await app.core.configIo.importConfig(importDocument, { actor: 'system', atStart: true });
  const demo = demoEnabled(app.config) ? await app.core.demo.seedDemo({ publicUrl: app.publicUrl }) : undefined;
  return { ...(imported === undefined ? {} : { imported }), ...(demo === undefined ? {} : { demo }) };
};

const countsLine = (result: ImportResult): string =>
  (['tenants', 'clients', 'idps', 'users'] as const)
    .map((kind) => `${kind} ${result[kind].created} created, ${result[kind].updated} updated`)
    .join('; ');

const demoLines = (app: App, demo: DemoSeedResult | undefined): string[] => {
  if (demo === undefined) return [];
  if (!demo.created)
    return ['Demo: the store already has tenants; nothing seeded. (`gatehouse tenant list` shows them.)'];
  const issuer = `${app.publicUrl}/t/${demo.tenantId}`;
  return [
    '',
    `DEVELOPMENT: created the demo tenant "${demo.tenantId}" (shown once; the secrets are not stored in clear):`,
    `  issuer          ${issuer}`,
    `  discovery       ${issuer}/.well-known/openid-configuration`,
    `  client id       ${demo.clientId}`,
    `  client secret   ${demo.clientSecret}`,
    `  demo user       ${demo.user.email} / ${demo.user.password}`,
    `  IdP emulator    ${demo.emulatorUrl} (connections: ${demo.idps.join(', ')})`,
    '  Try a login:',
    `    password grant   curl -s -u '${demo.clientId}:<client secret>' -d grant_type=password -d username=${demo.user.email} -d 'password=<password>' -d scope=openid ${issuer}/token`,
    `    browser          ${issuer}/authorize?client_id=${demo.clientId}&response_type=code&scope=openid%20email&redirect_uri=${encodeURIComponent('https://oidcdebugger.com/debug')}&state=demo`,
    '                     (then pick an IdP and a test user at the emulator; or use https://oidcdebugger.com)',
  ];
};

/** What a newcomer needs after `npm start`. Secrets appear here only when they were just created. */
export const startupBanner = (app: App, address: string, report: StartupReport = {}): string => {
  const lines = [`Gatehouse listening on ${address} (public URL ${app.publicUrl}, mode ${app.config.mode})`];
  if (app.notice.generatedMasterKey !== undefined)
    lines.push(
      `DEVELOPMENT: generated a master key at ${app.notice.generatedMasterKey}; set GATEHOUSE_MASTER_KEY in production.`,
    );
  if (app.adminToken === undefined) lines.push('Admin API: off (no GATEHOUSE_ADMIN_TOKEN).');
  else
    lines.push(
      `Admin API: ${app.publicUrl}/admin (Authorization: Bearer <admin token>); OpenAPI at ${app.publicUrl}/openapi.json`,
    );
  if (app.notice.generatedAdminToken !== undefined)
    lines.push(`DEVELOPMENT: admin token (shown once, kept in the data dir): ${app.notice.generatedAdminToken}`);
  if (report.imported !== undefined) {
    lines.push(`Imported ${app.config.importFile}: ${countsLine(report.imported)}.`);
    for (const s of report.imported.secrets)
      lines.push(`  new client ${s.tenant}/${s.clientId}: secret (shown once) ${s.clientSecret}`);
  }
  lines.push(...demoLines(app, report.demo));
  return lines.join('\n');
};
