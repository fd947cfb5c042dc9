import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type App, compose } from '../../src/compose.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { Core } from '../../src/core/index.js';
import type { KeyValueStore } from '../../src/kv/kv.js';
import type { Clock } from '../../src/lib/clock.js';
import { createSecretBox, parseMasterKey, type SecretBox } from '../../src/lib/crypto.js';
import { createLogger } from '../../src/lib/logger.js';
import { openTestStorage, registerDeferredWrites, type StorageKind, type TestStorage } from './storage.js';

/** A free TCP port on 127.0.0.1 (the issuer URL must be known before the server starts). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });

export interface StartOptions {
  readonly storage?: StorageKind;
  /** Reuse a storage (a second instance over the same database). */
  readonly sharedStorage?: TestStorage;
  readonly config?: Partial<Config>;
  readonly clock?: Clock;
  readonly fetch?: typeof globalThis.fetch;
  /** The key-value store (e.g. Redis under a key prefix of the test's own); memory by default. */
  readonly kv?: KeyValueStore;
}

export interface RunningGatehouse {
  /** Base URL, e.g. http://127.0.0.1:40123 (also the public URL). */
  readonly url: string;
  readonly app: App;
  readonly core: Core;
  readonly server: FastifyInstance;
  readonly storage: TestStorage;
  readonly adminToken: string;
  /** Every log line written so far (JSON strings), for no-secrets-in-logs checks. */
  readonly logs: string[];
  /** A secret box under this instance's master key: what it sealed opens with it. */
  readonly secretBox: SecretBox;
  /** Issuer of a tenant: `{url}/t/{tenant}`. */
  issuer(tenant: string): string;
  close(): Promise<void>;
}

/** Starts a real Gatehouse on 127.0.0.1 with its own storage (a PostgreSQL schema by default). */
export const startGatehouse = async (options: StartOptions = {}): Promise<RunningGatehouse> => {
  const storage = options.sharedStorage ?? (await openTestStorage(options.storage ?? 'postgres'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const config = loadConfig({
    env: {},
    flags: {
      mode: 'test',
      port,
      host: '127.0.0.1',
      publicUrl: url,
      masterKey: '0'.repeat(64),
      adminToken: 'test-admin-token-0123456789abcdef',
      logLevel: 'info',
      dataDir: '/tmp/gatehouse-test-unused',
      ...storage.configFields,
      ...options.config,
    },
  });
  const app = await compose(config, {
    db: storage.db,
    log: createLogger({ level: config.logLevel, destination: sink }),
    port,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.kv === undefined ? {} : { kv: options.kv }),
  });
  const server = await app.server();
  await server.listen({ port, host: '127.0.0.1' });
  // Sign-in times are written a moment after the sign-in: `expectNoWrites` writes them at once instead.
  const unregister = registerDeferredWrites(storage.db, () => app.core.accounts.flushSignInTimes());
  return {
    url,
    app,
    core: app.core,
    server,
    storage,
    adminToken: config.adminToken ?? '',
    logs,
    secretBox: createSecretBox(parseMasterKey(config.masterKey ?? '') ?? Buffer.alloc(0)),
    issuer: (tenant) => `${url}/t/${tenant}`,
    close: async () => {
      unregister();
      await server.close();
      // Flushes what the core buffers and closes its cache; the database is the storage's, closed below.
      await app.close();
      if (options.sharedStorage === undefined) await storage.close();
    },
  };
};
