import { Writable } from 'node:stream';
import { runCli } from '../../src/cli/index.js';
import { type CliResult, tempDir } from './spawn-cli.js';

/** A stream that keeps what is written to it. */
const collector = () => {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
};

/**
 * Runs `gatehouse …args` in this process: the CLI's own entry (`runCli`) with `env` as its whole environment and its
 * stdout and stderr collected, as `runGatehouse` does with a spawned process, without a process start per command. A
 * spawned CLI runs in a new temporary directory; here the data directory (where a development process keeps its
 * generated secrets) is one when `env` names none, so nothing is written into the checkout.
 */
export const runGatehouseInProcess = async (
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> => {
  const env = options.env ?? {};
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(['node', 'gatehouse', ...args], {
    env: env.GATEHOUSE_DATA_DIR === undefined ? { ...env, GATEHOUSE_DATA_DIR: tempDir() } : env,
    stdout: stdout.stream,
    stderr: stderr.stream,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
};
