import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { storeFlags } from '../store-options.js';

/**
 * `gatehouse serve`: lock the embedded store, migrate, apply `--import`, seed the demo (development), listen; stop
 * gracefully on SIGTERM and SIGINT.
 */
export const serveCommand = (program: Command, io: CliIo): void => {
  storeFlags(
    program
      .command('serve')
      .description('Run the HTTP server (migrates the store first).')
      .option('--port <port>', 'TCP port (env GATEHOUSE_PORT or PORT)')
      .option('--host <host>', 'listen address (env GATEHOUSE_HOST)')
      .option('--public-url <url>', 'public base URL (env GATEHOUSE_PUBLIC_URL)')
      .option('--import <file>', 'apply a configuration document at start (env GATEHOUSE_IMPORT_FILE)'),
  ).action(async (opts: Record<string, string | undefined>) => {
    // Loaded when run: the other commands start without the HTTP server and its start-up tasks.
    const { runServe } = await import('./serve-run.js');
    await runServe(io, opts);
  });
};
