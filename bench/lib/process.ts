import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';

/** The core servers and floor programs are pinned to; the load generator takes the other one. */
export const serverCpu = 0;
export const loadCpu = 1;

const hasTaskset = existsSync('/usr/bin/taskset') || existsSync('/bin/taskset');
/** Pinning needs `taskset` and at least two cores (one for the server, one for the load). */
export const canPin = hasTaskset && availableParallelism() >= 2;

/** Pins this process (the load generator) to its own core, when it can. */
export const pinSelf = async (): Promise<boolean> => {
  if (!canPin) return false;
  const child = spawn('taskset', ['-a', '-cp', String(loadCpu), String(process.pid)], { stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code === 0)));
};

/** Processes of the local database and cache servers (by command name), found in /proc. */
const servicePids = (): number[] => {
  const names = new Set(['postgres', 'redis-server']);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (names.has(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) pids.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids;
};

const taskset = (args: readonly string[]): Promise<string | undefined> =>
  new Promise((resolve) => {
    const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('error', () => resolve(undefined));
    child.once('exit', (code) => resolve(code === 0 ? out : undefined));
  });

/**
 * Moves the local PostgreSQL and Redis processes (and the backends they will fork) to the load generator's core for
 * the run, so that the server's core is the server's alone, as on a fleet where the database has its own machine.
 * @returns a function that puts every process back on the cores it had, or undefined when nothing could be moved
 *   (no taskset, one core, or not permitted).
 */
export const pinServices = async (): Promise<(() => Promise<void>) | undefined> => {
  if (!canPin) return undefined;
  const moved: { pid: number; mask: string }[] = [];
  for (const pid of servicePids()) {
    const mask = /:\s*([0-9a-f]+)\s*$/i.exec((await taskset(['-p', String(pid)])) ?? '')?.[1];
    if (mask === undefined) continue;
    if ((await taskset(['-p', '-c', String(loadCpu), String(pid)])) !== undefined) moved.push({ pid, mask });
  }
  if (moved.length === 0) return undefined;
  return async () => {
    for (const { pid, mask } of moved) await taskset(['-p', mask, String(pid)]);
  };
};

/** Resident set size of a process in bytes, from /proc (0 when it is gone). */
export const rssOf = (pid: number): number => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
};

/** CPU time (user + system) a process has used, in seconds, from /proc (0 when it is gone). */
export const cpuSecondsOf = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), counted from field 3: utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return 0;
  }
};
// sysconf(_SC_CLK_TCK): 100 on every Linux this runs on.
const clockTicks = 100;

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Lines written to stdout, for programs that answer with JSON lines. */
  readonly lines: AsyncIterableIterator<string>;
  /** The last lines of stderr, to explain a failure. */
  stderrTail(): string;
  rss(): number;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Pin to the server core (default true). */
  readonly pin?: boolean;
  /** Write a V8 CPU profile into this directory. */
  readonly profileDir?: string;
  /** Load TypeScript through tsx (default true; `bin/gatehouse.js` registers it itself). */
  readonly tsx?: boolean;
}

/** Starts `node …args` (TypeScript through tsx), pinned to the server core when possible. */
export const spawnNode = (options: SpawnOptions): Child => {
  const nodeArgs = [
    ...((options.tsx ?? true) ? ['--import', 'tsx'] : []),
    ...(options.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`]),
    ...options.args,
  ];
  const pinned = (options.pin ?? true) && canPin;
  const command = pinned ? 'taskset' : process.execPath;
  const args = pinned ? ['-c', String(serverCpu), process.execPath, ...nodeArgs] : nodeArgs;
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail.push(chunk);
    if (tail.length > 50) tail.shift();
  });
  const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name: options.name,
    pid: child.pid ?? 0,
    process: child,
    lines: reader[Symbol.asyncIterator](),
    stderrTail: () => tail.join('').slice(-4000),
    rss: () => rssOf(child.pid ?? 0),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
};

/** The next stdout line parsed as JSON, or an error naming the program and its stderr. */
export const nextJson = async <T>(child: Child, timeoutMs = 120_000): Promise<T> => {
  const timeout = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new Error(`${child.name}: no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  for (;;) {
    const next = await Promise.race([child.lines.next(), timeout]);
    if (next.done === true) throw new Error(`${child.name} exited early:\n${child.stderrTail()}`);
    const line = next.value.trim();
    if (line.startsWith('{')) return JSON.parse(line) as T;
  }
};

/** Runs a floor program to completion and returns its `{rate}`. */
export const runFloorProgram = async (
  name: string,
  file: string,
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<number> => {
  const child = spawnNode({ name, args: [file], env });
  try {
    const { rate } = await nextJson<{ rate: number }>(child);
    // Let it finish on its own: it cleans up after itself (the db floor drops its schema).
    await exitOf(child, 30_000);
    return rate;
  } finally {
    await child.stop();
  }
};

/** Resolves when `child` has exited, or after `timeoutMs`. */
const exitOf = (child: Child, timeoutMs: number): Promise<void> =>
  new Promise((resolve) => {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(resolve, timeoutMs);
    child.process.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Polls `url` until it answers 200. */
export const waitForHttp = async (url: string, child: Child, timeoutMs = 120_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.process.exitCode !== null) throw new Error(`${child.name} exited early:\n${child.stderrTail()}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${child.name}: ${url} not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
};
