import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dropTestSchema, testDatabaseUrl } from '../harness/storage.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const bin = join(repoRoot, 'bin/gatehouse.js');

/**
 * Whether this process can run the CLI as `nobody` (uid 65534), for the tests that need a second user: only as root,
 * and only when every directory above the checkout lets other users through (a clone under a private temporary
 * directory does not).
 */
export const cliRunsAsNobody: boolean =
  process.getuid?.() === 0 &&
  spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(bin)}, 4)`], {
    uid: 65534,
    gid: 65534,
  }).status === 0;
/** A master key for processes pointed at PostgreSQL (the embedded store generates one into its data dir). */
export const masterKey = 'ab'.repeat(32);

export const tempDir = (prefix = 'gatehouse-cli-'): string => mkdtempSync(join(tmpdir(), prefix));

/** The environment of a spawned CLI: nothing of ours leaks in from the test process but PATH and HOME. */
export const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  ...extra,
});

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion and collects its output. */
export const runCommand = (
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number } = {},
): Promise<CliResult> =>
  new Promise((done) => {
    execFile(
      command,
      args,
      {
        env: options.env ?? cleanEnv(),
        cwd: options.cwd ?? tempDir(),
        timeout: 180_000,
        maxBuffer: 16 * 1024 * 1024,
        ...(options.uid === undefined ? {} : { uid: options.uid }),
        ...(options.gid === undefined ? {} : { gid: options.gid }),
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        done({ code, stdout, stderr });
      },
    );
  });

/** Runs `node bin/gatehouse.js …args` to completion. */
export const runGatehouse = (
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number } = {},
): Promise<CliResult> => runCommand(process.execPath, [bin, ...args], options);

/** Parses stdout as JSON, failing with the CLI's stderr when it is not. */
export const json = <T = unknown>(result: CliResult): T => {
  if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
};

/** How a spawned CLI reaches one store: `--data DIR`, or DATABASE_URL + GATEHOUSE_DATABASE_SCHEMA. */
export interface CliStore {
  readonly kind: 'pglite' | 'postgres';
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  drop(): Promise<void>;
}

export const cliStore = (kind: 'pglite' | 'postgres'): CliStore => {
  if (kind === 'pglite') return { kind, args: ['--data', tempDir()], env: cleanEnv(), drop: async () => {} };
  const schema = `cli_${randomBytes(6).toString('hex')}`;
  return {
    kind,
    args: [],
    env: cleanEnv({
      DATABASE_URL: testDatabaseUrl,
      GATEHOUSE_DATABASE_SCHEMA: schema,
      GATEHOUSE_MASTER_KEY: masterKey,
      GATEHOUSE_DATA_DIR: tempDir(),
    }),
    drop: () => dropTestSchema(schema),
  };
};

/** A long-running `gatehouse serve` (or `npm start`), with its output collected. */
export interface ServerProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout contains `text`; rejects if the process exits first. */
  waitFor(text: string, ms?: number): Promise<void>;
  /** SIGTERM, then the exit code (null when the process died of the signal). */
  stop(): Promise<number | null>;
  /** The exit code, once the process has ended (null when it died of a signal). */
  exited(): Promise<number | null>;
}

export const startProcess = (
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; group?: boolean },
): ServerProcess => {
  // `group`: the process leads its own process group (npm → sh → node) and stop() signals the whole group; npm itself
  // dies of SIGTERM without passing it on.
  const child = spawn(command, args, {
    env: options.env,
    cwd: options.cwd ?? repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.group ?? false,
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => {
    out += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    err += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor: (text, ms = 120_000) =>
      new Promise((resolve, reject) => {
        const timer = setInterval(() => {
          if (out.includes(text)) {
            clearInterval(timer);
            resolve();
          }
        }, 100);
        void exited.then((code) => {
          clearInterval(timer);
          if (!out.includes(text)) reject(new Error(`exited ${code} before "${text}"; stderr: ${err}; stdout: ${out}`));
        });
        setTimeout(() => {
          clearInterval(timer);
          reject(new Error(`no "${text}" within ${ms} ms; stderr: ${err}; stdout: ${out}`));
        }, ms).unref();
      }),
    exited: () => exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        if (options.group === true && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
        else child.kill('SIGTERM');
      }
      return exited;
    },
  };
};
