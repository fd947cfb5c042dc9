/**
 * A redis-server of the test's own, on a free port, that the test may stop, restart and freeze (the shared Redis of
 * the machine is never touched).
 *
 *   const redis = await startRedis();
 *   await startGatehouse({ config: { redisUrl: redis.url } });
 *   redis.pause();  redis.resume();     // SIGSTOP / SIGCONT: Redis frozen, connections open
 *   redis.sleep(3);                     // DEBUG SLEEP 3: Redis busy for 3 s, then answers again
 *   await redis.stop();  await redis.start();   // down, then back on the same port, empty
 *   await redis.close();
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './gatehouse.js';

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Sends one inline command on a connection of its own and answers the reply's first line (`:3`, `+PONG`). */
  command(line: string): Promise<string>;
  /** How many keys the server holds (`DBSIZE`). */
  keyCount(): Promise<number>;
  /** SIGSTOP: the process freezes; connections stay open and nothing answers. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /**
   * Sends `DEBUG SLEEP seconds`: the server answers nothing for that long, then resumes. Resolves once it has
   * stopped answering (a PING on another connection goes unanswered).
   */
  sleep(seconds: number): Promise<void>;
  /** Stops the server and waits for it to exit (a paused server is resumed first). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const send = (port: number, line: string, timeoutMs = 1000): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis on ${port} did not answer ${line}`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      const end = reply.indexOf('\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply.slice(0, end));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });

export const startRedis = async (): Promise<TestRedis> => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    const output: string[] = [];
    const process_ = spawn(
      'redis-server',
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
        ...['--save', '', '--appendonly', 'no', '--enable-debug-command', 'local'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    process_.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    process_.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child = process_;
    exited = new Promise((resolve) => process_.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (process_.exitCode !== null) throw new Error(`redis-server exited:\n${output.join('')}`);
      if ((await send(port, 'PING').catch(() => '')) === '+PONG') return;
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start:\n${output.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const stop = async (): Promise<void> => {
    const running = child;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    running.kill('SIGCONT');
    running.kill('SIGTERM');
    await exited;
    child = undefined;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    command: (line) => send(port, line),
    keyCount: async () => Number((await send(port, 'DBSIZE')).slice(1)),
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    sleep: async (seconds) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(`DEBUG SLEEP ${seconds}\r\n`));
      socket.on('data', () => socket.destroy());
      socket.on('error', () => socket.destroy());
      const deadline = Date.now() + 2000;
      while ((await send(port, 'PING', 200).catch(() => 'asleep')) === '+PONG') {
        if (Date.now() > deadline) throw new Error(`redis on ${port} did not go to sleep`);
      }
    },
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
