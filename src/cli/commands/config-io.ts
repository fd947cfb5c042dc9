import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { CliError, printJson, runWithStore } from '../run-with-app.js';
import { storeFlags } from '../store-options.js';

/**
 * Reads a JSON document: a configuration document (docs/import-export.md) or a backup archive.
 * @throws CliError when the file cannot be read or is not JSON.
 */
export const readDocument = (file: string, notJson = 'not valid JSON'): unknown => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError(`${file}: ${notJson}`);
  }
};

/** `gatehouse export` and `gatehouse import FILE`. */
export const configIoCommands = (program: Command, io: CliIo): void => {
  storeFlags(
    program
      .command('export')
      .description('Write the configuration as JSON (secrets only as digests or sealed values).')
      .option('--tenant <id>', 'only this tenant')
      .option('--output <file>', 'write to a file (mode 0600) instead of stdout'),
  ).action(async (opts: { tenant?: string; output?: string }) => {
    await runWithStore(io, opts, 'export', async (store) => {
      const document = await store.exportConfig(opts.tenant);
      if (opts.output === undefined) printJson(io, document);
      else writeFileSync(opts.output, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600 });
    });
  });

  storeFlags(
    program
      .command('import')
      .description('Apply a configuration document idempotently, in one transaction; prints what changed.')
      .argument('<file>', 'the JSON document'),
  ).action(async (file: string, opts: Record<string, string | undefined>) => {
    const document = readDocument(file);
    await runWithStore(io, opts, 'import', async (store) => printJson(io, await store.importConfig(document)));
  });
};
