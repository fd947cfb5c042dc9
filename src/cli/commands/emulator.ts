import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { CliError } from '../run-with-app.js';

/** `gatehouse emulator`: the local IdP emulator on its own port (development and tests only; see docs/emulator.md). */
export const emulatorCommand = (program: Command, _io: CliIo): void => {
  program
    .command('emulator')
    .description('Run the local IdP emulator on its own port (development and tests only; never expose it).')
    .option('--port <port>', 'TCP port (0: any free port)', '4000')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--public-url <url>', 'the URL connections reach it at, when not http://{host}:{port}')
    .action(async (opts: { port: string; host: string; publicUrl?: string }) => {
      if (!/^\d+$/.test(opts.port) || Number(opts.port) > 65535) throw new CliError('--port: must be 0–65535');
      // Loaded when run: the other commands start without the emulator's server.
      const { runEmulatorCommand } = await import('../../emulator/index.js');
      const server = await runEmulatorCommand({
        port: Number(opts.port),
        host: opts.host,
        ...(opts.publicUrl === undefined ? {} : { publicUrl: opts.publicUrl }),
      });
      const stop = () => void server.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
};
