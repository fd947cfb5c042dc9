import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { isDevLike, publicUrlOf } from './config/load.js';
import type { Config } from './config/schema.js';
import { ConfigError } from './core/errors.js';
import { type Core, type CoreDeps, createCore } from './core/index.js';
import { checkMasterKey } from './core/keys/master-key-check.js';
import { createMailer } from './core/mail/mailer.js';
import { createRateLimit } from './core/rate-limit/rate-limit.js';
import type { KeyValueStore } from './kv/kv.js';
import { createMemoryKv } from './kv/memory.js';
import { type Clock, systemClock } from './lib/clock.js';
import { createSecretBox, parseMasterKey, randomToken } from './lib/crypto.js';
import { acquireDataDirLock, type DataDirLock } from './lib/data-dir-lock.js';
import { createLogger, type Logger } from './lib/logger.js';
import { createUpstreamFetch } from './lib/upstream-fetch.js';
import { createDatabase, type Db } from './store/database.js';
import { migrateToLatest } from './store/migrate.js';
import { emailApprovalUrl, selfServiceLinkUrls } from './surfaces/shared/paths.js';

/** Things that exist only because the process is in development mode; announced once, loudly. */
export interface DevNotice {
  readonly generatedMasterKey?: string;
  readonly generatedAdminToken?: string;
}

const readOrCreate = (dir: string, name: string, make: () => string): { value: string; created: boolean } => {
  const path = join(dir, name);
  if (existsSync(path)) return { value: readFileSync(path, 'utf8').trim(), created: false };
  mkdirSync(dir, { recursive: true });
  const value = make();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { value, created: true };
};

/** The master key and admin token: from config, or (development and test only) generated into the data dir. */
export const resolveSecrets = (config: Config): { masterKey: Buffer; adminToken?: string; notice: DevNotice } => {
  const notice: { generatedMasterKey?: string; generatedAdminToken?: string } = {};
  let keyText = config.masterKey;
  if (keyText === undefined) {
    if (!isDevLike(config)) throw new ConfigError('GATEHOUSE_MASTER_KEY (masterKey): required in production');
    const generated = readOrCreate(config.dataDir, 'master-key', () => randomToken(32));
    keyText = generated.value;
    if (generated.created) notice.generatedMasterKey = join(config.dataDir, 'master-key');
  }
  const masterKey = parseMasterKey(keyText);
  if (masterKey === undefined)
    throw new ConfigError('GATEHOUSE_MASTER_KEY (masterKey): must be 32 bytes as 64 hex characters or base64url');
  let adminToken = config.adminToken;
  if (adminToken === undefined && isDevLike(config)) {
    const generated = readOrCreate(config.dataDir, 'admin-token', () => `gh_admin_${randomToken(24)}`);
    adminToken = generated.value;
    if (generated.created) notice.generatedAdminToken = adminToken;
  }
  return { masterKey, ...(adminToken === undefined ? {} : { adminToken }), notice };
};

/**
 * What a store is opened for: `requests` (a serving process: each wait bounded by `databaseTimeoutMs`), `commands` (a
 * CLI command run by an operator: no bounds, an export of a large store may take its time), `migrations` (one
 * PostgreSQL connection without bounds: a migration, or waiting for another instance's, may take longer).
 */
export type DatabaseUse = 'requests' | 'commands' | 'migrations';

/** Opens the store `config` names, for `use`. */
export const openDatabase = (config: Readonly<Config>, use: DatabaseUse = 'requests'): Promise<Db> => {
  const bounds = use === 'requests' ? { timeoutMs: config.databaseTimeoutMs } : {};
  return config.databaseUrl === undefined
    ? createDatabase({ driver: 'pglite', dataDir: join(config.dataDir, 'pgdata'), ...bounds })
    : createDatabase({
        driver: 'postgres',
        url: config.databaseUrl,
        poolSize: use === 'migrations' ? 1 : config.databasePoolSize,
        prepareStatements: config.databasePreparedStatements,
        ...bounds,
        ...(config.databaseSchema === undefined ? {} : { schema: config.databaseSchema }),
      });
};

/** Applies pending migrations to `db`, through an unbounded connection of its own on PostgreSQL. */
const migrate = async (config: Readonly<Config>, db: Db): Promise<string[]> => {
  if (config.databaseUrl === undefined) return migrateToLatest(db);
  const untimed = await openDatabase(config, 'migrations');
  try {
    return await migrateToLatest(untimed);
  } finally {
    await untimed.destroy();
  }
};

/**
 * Upstream identity providers may be at non-public addresses in development and test (the emulator on loopback), with
 * `allowInsecureUpstreams`, or where the operator says so (`allowPrivateUpstreams`); otherwise connectors reach only
 * public addresses (SSRF: a connection's issuer or endpoints cannot point at internal services).
 */
const privateUpstreamsAllowed = (config: Readonly<Config>): boolean =>
  isDevLike(config) || config.allowInsecureUpstreams || config.allowPrivateUpstreams;

export interface ComposeOptions {
  readonly log?: Logger;
  readonly clock?: Clock;
  readonly fetch?: typeof globalThis.fetch;
  /** An already open database (tests hand in one per file). */
  readonly db?: Db;
  /** What the store is opened for when `db` is not given (default `requests`). */
  readonly databaseUse?: DatabaseUse;
  readonly kv?: KeyValueStore;
  /** The port the server will listen on, when the public URL is derived from it. */
  readonly port?: number;
  /** What this process runs (`serve`, `tenant create`, …): recorded in the embedded store's lock file. */
  readonly command?: string;
}

export interface App {
  readonly config: Readonly<Config>;
  readonly core: Core;
  readonly log: Logger;
  readonly publicUrl: string;
  readonly adminToken: string | undefined;
  readonly notice: DevNotice;
  /** The embedded store's single-writer lock, held until `close` (absent on PostgreSQL and for a handed-in db). */
  readonly lock: DataDirLock | undefined;
  /** Builds the HTTP server (not listening). */
  server(): Promise<FastifyInstance>;
  /** Writes what the core buffers, then closes the mailer, the cache and the store (a handed-in `db` stays open). */
  close(): Promise<void>;
}

/**
 * The embedded store has one writer: the process that opens its data directory holds the directory's lock until it
 * closes the store (docs/decisions/0008-embedded-store-single-writer.md). PostgreSQL takes many instances.
 * @throws DataDirInUseError when another live process holds it.
 */
export const lockDataDir = (config: Readonly<Config>, command: string): DataDirLock | undefined =>
  config.databaseUrl === undefined ? acquireDataDirLock(config.dataDir, command) : undefined;

/**
 * The composition root: the only place infrastructure is created. Takes the embedded store's lock, opens the store
 * and migrates it.
 */
export const compose = async (config: Readonly<Config>, options: ComposeOptions = {}): Promise<App> => {
  const lock = options.db === undefined ? lockDataDir(config, options.command ?? 'serve') : undefined;
  try {
    return await composeLocked(config, options, lock);
  } catch (error) {
    lock?.release();
    throw error;
  }
};

const composeLocked = async (
  config: Readonly<Config>,
  options: ComposeOptions,
  lock: DataDirLock | undefined,
): Promise<App> => {
  const log = options.log ?? createLogger({ level: config.logLevel });
  const { masterKey, adminToken, notice } = resolveSecrets(config);
  const db = options.db ?? (await openDatabase(config, options.databaseUse));
  const secretBox = createSecretBox(masterKey);
  try {
    if (options.db === undefined) await migrate(config, db);
    else await migrateToLatest(options.db);
    // Before anything is sealed: a process with another master key must not start.
    if ((await checkMasterKey(db, secretBox)) === 'adopted') log.debug('master_key.check_written');
  } catch (error) {
    if (options.db === undefined) await db.destroy();
    throw error;
  }
  const clock = options.clock ?? systemClock;
  const kv =
    options.kv ??
    (config.redisUrl === undefined
      ? createMemoryKv(clock)
      : // Loaded only when used, as the HTTP server below: a CLI command starts without either (docs/decisions/0014).
        (await import('./kv/redis.js')).createRedisKv(config.redisUrl, {
          callTimeoutMs: config.redisTimeoutMs,
          fallback: createMemoryKv(clock),
          log,
        }));
  const publicUrl = publicUrlOf(config, options.port);
  const deps: CoreDeps = {
    db,
    kv,
    clock,
    log,
    secretBox,
    fetch: options.fetch ?? createUpstreamFetch({ allowPrivate: privateUpstreamsAllowed(config) }),
    settings: {
      publicUrl,
      mode: config.mode,
      allowInsecureUpstreams: isDevLike(config) || config.allowInsecureUpstreams,
      upstreamTimeoutMs: config.upstreamTimeoutMs,
      mailFrom: config.mailFrom,
      ...(config.smtpUrl === undefined ? {} : { smtpUrl: config.smtpUrl }),
    },
  };
  const mailer = createMailer(deps);
  const core = createCore(deps, {
    mailer,
    rateLimit: createRateLimit({ kv }),
    emailApprovalLink: emailApprovalUrl(publicUrl),
    selfServiceLinks: selfServiceLinkUrls(publicUrl),
  });
  return {
    config,
    core,
    log,
    publicUrl,
    adminToken,
    notice,
    lock,
    server: async () =>
      (await import('./http/server.js')).buildServer({
        core,
        log,
        publicUrl,
        mode: config.mode,
        trustProxy: config.trustProxy,
        emulator: isDevLike(config) && (config.emulator ?? config.mode === 'development'),
        ...(adminToken === undefined ? {} : { adminToken }),
        ...(config.metricsToken === undefined ? {} : { metricsToken: config.metricsToken }),
      }),
    close: async () => {
      try {
        await core.close();
        mailer.close();
        await kv.close();
        // A database handed in belongs to whoever opened it.
        if (options.db === undefined) await db.destroy();
      } finally {
        lock?.release();
      }
    },
  };
};

/** Opens the store named by `config`, applies pending migrations, closes it. @returns the migrations applied. */
export const migrateStore = async (config: Readonly<Config>): Promise<string[]> => {
  const lock = lockDataDir(config, 'migrate');
  try {
    const db = await openDatabase(config, 'migrations');
    try {
      return await migrateToLatest(db);
    } finally {
      await db.destroy();
    }
  } finally {
    lock?.release();
  }
};
