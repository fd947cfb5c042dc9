import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { printJson, runWithStore } from '../run-with-app.js';
import { storeFlags } from '../store-options.js';
import { readDocument } from './config-io.js';

/** Reads a backup archive. @throws CliError when the file cannot be read or is not JSON (a truncated archive is not). */
const readArchive = (file: string): unknown =>
  readDocument(file, 'not a Gatehouse backup: not valid JSON (truncated?)');

/** `gatehouse backup [--output FILE]` and `gatehouse restore FILE` (docs/operations.md). */
export const backupCommands = (program: Command, io: CliIo): void => {
  storeFlags(
    program
      .command('backup')
      .description('Write every durable table as a versioned archive, from one consistent snapshot.')
      .option('--output <file>', 'write to a file (mode 0600) instead of stdout'),
  ).action(async (opts: { output?: string }) => {
    await runWithStore(io, opts, 'backup', async (store) => {
      const archive = Readable.from(store.backup());
      if (opts.output === undefined) {
        // stdout is not ours to close.
        await pipeline(archive, io.stdout, { end: false });
        return;
      }
      // Written aside and renamed when complete: a failed backup never leaves a file that looks like one.
      const partial = `${opts.output}.partial-${process.pid}`;
      try {
        await pipeline(archive, createWriteStream(partial, { mode: 0o600 }));
        renameSync(partial, opts.output);
      } finally {
        rmSync(partial, { force: true });
      }
    });
  });

  storeFlags(
    program
      .command('restore')
      .description('Restore an archive into an empty store, in one transaction; needs the same master key.')
      .argument('<file>', 'the archive `gatehouse backup` wrote'),
  ).action(async (file: string, opts: Record<string, string | undefined>) => {
    const archive = readArchive(file);
    await runWithStore(io, opts, 'restore', async (store) => printJson(io, await store.restore(archive)));
  });
};
