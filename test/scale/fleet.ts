/**
 * A fleet of real `gatehouse serve` processes over one PostgreSQL schema and one Redis, as a deployment behind a
 * load balancer runs them: same master key, same admin token, same public URL, different ports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort } from '../harness/gatehouse.js';
import { dropTestSchema, testDatabaseUrl } from '../harness/storage.js';

export const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Instance {
  readonly url: string;
  readonly port: number;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface Fleet {
  readonly instances: readonly Instance[];
  readonly schema: string;
  readonly adminToken: string;
  /** The public URL every instance is configured with (the load balancer's address). */
  readonly publicUrl: string;
  close(): Promise<void>;
}

const waitUntilHealthy = async (url: string, child: ChildProcess, output: () => string): Promise<void> => {
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`instance at ${url} exited (${child.exitCode}):\n${output()}`);
    try {
      // `ok`, not `degraded`: the instance has its database and its connection to the shared Redis.
      const response = await fetch(`${url}/readyz`);
      if (response.status === 200 && ((await response.json()) as { status?: string }).status === 'ok') return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`instance at ${url} not ready:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
};

const startInstance = async (env: Record<string, string>, port: number): Promise<Instance> => {
  const child = spawn(process.execPath, ['bin/gatehouse.js', 'serve'], {
    env: { PATH: process.env.PATH ?? '', ...env, GATEHOUSE_PORT: String(port), GATEHOUSE_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const output = () => chunks.join('').slice(-4000);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntilHealthy(url, child, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, output, stop };
};

export interface FleetOptions {
  /** The load balancer's URL (default: the first instance's). */
  readonly publicUrl?: string;
  /** More environment for every instance (`GATEHOUSE_TRUST_PROXY`, …). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts `count` instances at once (they migrate the empty schema concurrently, as a rolling deploy may). */
export const startFleet = async (count = 2, options: FleetOptions = {}): Promise<Fleet> => {
  const schema = `t_fleet_${randomBytes(5).toString('hex')}`;
  const adminToken = `fleet-admin-${randomBytes(16).toString('hex')}`;
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const publicUrl = options.publicUrl ?? `http://127.0.0.1:${ports[0]}`;
  const env = {
    DATABASE_URL: testDatabaseUrl,
    GATEHOUSE_DATABASE_SCHEMA: schema,
    REDIS_URL: testRedisUrl,
    GATEHOUSE_MASTER_KEY: randomBytes(32).toString('hex'),
    GATEHOUSE_ADMIN_TOKEN: adminToken,
    GATEHOUSE_MODE: 'test',
    GATEHOUSE_PUBLIC_URL: publicUrl,
    GATEHOUSE_LOG_LEVEL: 'warn',
    GATEHOUSE_DATA_DIR: `/tmp/gatehouse-fleet-${schema}`,
    ...options.env,
  };
  const started = await Promise.allSettled(ports.map((port) => startInstance(env, port)));
  const instances = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const close = async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await dropTestSchema(schema);
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    await close();
    throw failed.reason;
  }
  return { instances, schema, adminToken, publicUrl, close };
};
