import type { Writable } from 'node:stream';

/**
 * Where a command reads its environment and writes its output: the process's own when run as `gatehouse`; an
 * environment and two streams of the caller's when `runCli` is called in a process that is not the CLI (the tests).
 */
export interface CliIo {
  /** The environment the configuration is read from; the process's when absent. */
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** The process's own output. */
export const processIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr });
