/**
 * Database waits are bounded by `databaseTimeoutMs`: a row lock held by another connection, or (on the embedded
 * store) a request queued behind a long transaction, makes a request answer 503 in its surface's own error format
 * instead of waiting past the request budget; once the lock is released the same request works.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/compose.js';
import { loadConfig } from '../../src/config/load.js';
import type { Db } from '../../src/store/database.js';
import { freePort, type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';
import { openTestStorage, type TestStorage, testDatabaseUrl } from '../harness/storage.js';
import { password, setUpTenant, type TestTenant } from '../surfaces/oauth/fixture.js';

/** The budget these servers are configured with. */
const budgetMs = 1000;
/**
 * A request must answer well before this: a lock wait is given up after half the budget. Without timeouts, it would
 * wait for the lock (held far longer than this) and be aborted: the test fails rather than hangs.
 */
const bound = () => AbortSignal.timeout(budgetMs * 6);

const oauthUnavailable = {
  error: 'temporarily_unavailable',
  error_description: 'The database or cache is unreachable.',
};

const post = async (url: string, params: Record<string, string>, basic?: { id: string; secret: string }) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic === undefined
        ? {}
        : { authorization: `Basic ${Buffer.from(`${basic.id}:${basic.secret}`).toString('base64')}` }),
    },
    body: new URLSearchParams(params),
    signal: bound(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const securityLogin = async (gh: RunningGatehouse, tenantId: string, email: string) => {
  const call = async (name: string, body: unknown) => {
    const response = await fetch(`${gh.url}/t/${tenantId}/Security/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-idap-native-client': 'true' },
      body: JSON.stringify(body),
      signal: bound(),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const started = await call('StartAuthentication', { User: email, Version: '1.0' });
  const pkg = started.body.Result as { SessionId: string; Challenges: { Mechanisms: { MechanismId: string }[] }[] };
  return call('AdvanceAuthentication', {
    TenantId: tenantId,
    SessionId: pkg.SessionId,
    MechanismId: pkg.Challenges[0]?.Mechanisms[0]?.MechanismId ?? '',
    Action: 'Answer',
    Answer: password,
  });
};

/** Another real connection that holds row locks in an open transaction until `release`. */
const lockRows = async (schema: string, statement: string, values: unknown[]) => {
  const client = new pg.Client({ connectionString: testDatabaseUrl, options: `-c search_path="${schema}"` });
  await client.connect();
  await client.query('begin');
  const { rowCount } = await client.query(statement, values);
  expect(rowCount).toBeGreaterThan(0);
  return {
    release: async () => {
      await client.query('rollback');
      await client.end();
    },
  };
};

describe('database waits on PostgreSQL, with databaseTimeoutMs', () => {
  let storage: TestStorage;
  let db: Db;
  let gh: RunningGatehouse;
  let tenant: TestTenant;
  const mobile = () => ({ id: tenant.mobile.clientId, secret: tenant.mobile.secret });
  const passwordGrant = () =>
    post(
      `${tenant.issuer}/token`,
      { grant_type: 'password', username: tenant.user.email, password, scope: 'openid' },
      mobile(),
    );

  beforeAll(async () => {
    storage = await openTestStorage('postgres');
    const schema = storage.schema as string;
    db = await openDatabase(
      loadConfig({
        env: {},
        flags: { mode: 'test', databaseUrl: testDatabaseUrl, databaseSchema: schema, databaseTimeoutMs: budgetMs },
      }),
    );
    gh = await startGatehouse({ sharedStorage: { ...storage, db, close: async () => {} } });
    tenant = await setUpTenant(gh, 'locks');
  });
  afterAll(async () => {
    await gh?.close();
    await db?.destroy();
    await storage?.close();
  });

  it('answers a refresh 503 temporarily_unavailable while its token row is locked, and rotates it after', async () => {
    const issued = await passwordGrant();
    expect(issued.status).toBe(200);
    const refreshToken = String(issued.body.refresh_token);
    const lock = await lockRows(storage.schema as string, 'select 1 from refresh_tokens for update', []);
    try {
      const refused = await post(
        `${tenant.issuer}/token`,
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        mobile(),
      );
      expect(refused).toEqual({ status: 503, body: oauthUnavailable });
    } finally {
      await lock.release();
    }
    const rotated = await post(
      `${tenant.issuer}/token`,
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      mobile(),
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).not.toBe(refreshToken);
  });

  it("answers sign-ins 503 on OAuth, Flex and the Security API while the user's row is locked, and signs in after", async () => {
    const social = await gh.core.tenants.create({ id: 'locks-sec' });
    await gh.core.clients.create(social.id, {
      clientId: 'locks-sec-app',
      name: 'The App',
      public: true,
      callbackUrls: ['https://app.example/after-login'],
    });
    const pat = await gh.core.users.create(social.id, { email: 'pat@locks.example', password, emailVerified: true });
    const lock = await lockRows(storage.schema as string, 'select 1 from users where id = any($1) for update', [
      [tenant.user.id, pat.id],
    ]);
    try {
      expect(await passwordGrant()).toEqual({ status: 503, body: oauthUnavailable });
      const flex = await post(`${gh.url}/v1/auth/token`, {
        grant_type: 'password',
        username: tenant.user.email,
        password,
        scope: 'user',
        client_id: tenant.mobile.clientId,
        client_secret: tenant.mobile.secret,
      });
      expect(flex).toEqual({
        status: 503,
        body: {
          error: 'temporarily_unavailable',
          error_description: 'An unexpected error; logged with the request id.',
        },
      });
      const security = await securityLogin(gh, social.id, 'pat@locks.example');
      // The Security API's envelope: HTTP 200, success false, its own error code.
      expect(security).toEqual({
        status: 200,
        body: {
          success: false,
          Result: null,
          Message: 'An unexpected error; logged with the request id.',
          MessageID: null,
          Exception: null,
          ErrorID: expect.any(String),
          ErrorCode: 'ServiceUnavailable',
          InnerExceptions: null,
        },
      });
    } finally {
      await lock.release();
    }
    expect((await passwordGrant()).status).toBe(200);
    expect((await securityLogin(gh, social.id, 'pat@locks.example')).body).toMatchObject({ success: true });
  });
});

describe('database waits on PGlite, with databaseTimeoutMs', () => {
  let dataDir: string;
  let db: Db;
  let gh: RunningGatehouse;
  let tenant: TestTenant;
  const passwordGrant = () =>
    post(
      `${tenant.issuer}/token`,
      { grant_type: 'password', username: tenant.user.email, password, scope: 'openid' },
      { id: tenant.mobile.clientId, secret: tenant.mobile.secret },
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-timeouts-'));
    db = await openDatabase(loadConfig({ env: {}, flags: { mode: 'test', dataDir, databaseTimeoutMs: budgetMs } }));
    gh = await startGatehouse({
      sharedStorage: { kind: 'pglite', db, configFields: { dataDir }, close: async () => {} },
    });
    tenant = await setUpTenant(gh, 'queued');
  });
  afterAll(async () => {
    await gh?.close();
    await db?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 to a request queued behind a transaction that keeps the one connection, and serves it after', async () => {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding = () => {};
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const transaction = db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      holding();
      await released;
    });
    await held;
    try {
      const refused = await passwordGrant();
      expect(refused).toEqual({ status: 503, body: oauthUnavailable });
      const ready = await fetch(`${gh.url}/readyz`, { signal: bound() });
      expect(ready.status).toBe(503);
    } finally {
      release();
      await transaction;
    }
    const served = await passwordGrant();
    expect(served.status).toBe(200);
    expect((await fetch(`${gh.url}/readyz`, { signal: bound() })).status).toBe(200);
  });
});

/**
 * A TCP proxy in front of PostgreSQL that can freeze: it keeps every connection open and accepts new ones, but
 * forwards nothing in either direction (a host that stopped answering), until it thaws.
 */
const freezableProxy = async () => {
  const target = new URL(testDatabaseUrl);
  let frozen = false;
  const held: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const forward = (from: Socket, to: Socket) =>
    from.on('data', (chunk) => {
      if (frozen) held.push(() => to.write(chunk));
      else to.write(chunk);
    });
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
      s.on('error', () => s.destroy());
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const url = new URL(testDatabaseUrl);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
      for (const write of held.splice(0)) write();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

describe('database waits on a PostgreSQL that stops answering, with databaseTimeoutMs', () => {
  let storage: TestStorage;
  let proxy: Awaited<ReturnType<typeof freezableProxy>>;
  let db: Db;
  let gh: RunningGatehouse;
  let tenant: TestTenant;
  const passwordGrant = () =>
    post(
      `${tenant.issuer}/token`,
      { grant_type: 'password', username: tenant.user.email, password, scope: 'openid' },
      { id: tenant.mobile.clientId, secret: tenant.mobile.secret },
    );

  beforeAll(async () => {
    storage = await openTestStorage('postgres');
    proxy = await freezableProxy();
    const schema = storage.schema as string;
    db = await openDatabase(
      loadConfig({
        env: {},
        flags: { mode: 'test', databaseUrl: proxy.url, databaseSchema: schema, databaseTimeoutMs: budgetMs },
      }),
    );
    gh = await startGatehouse({ sharedStorage: { ...storage, db, close: async () => {} } });
    tenant = await setUpTenant(gh, 'frozen');
  });
  afterAll(async () => {
    proxy?.thaw();
    await gh?.close();
    await db?.destroy();
    await proxy?.close();
    await storage?.close();
  });

  it('answers 503 while the database is frozen, and serves again on fresh connections after', async () => {
    expect((await passwordGrant()).status).toBe(200);
    proxy.freeze();
    try {
      // Two at once, each on a connection of the pool that gets no answer; each such connection is discarded.
      const refused = await Promise.all([passwordGrant(), passwordGrant()]);
      expect(refused).toEqual([
        { status: 503, body: oauthUnavailable },
        { status: 503, body: oauthUnavailable },
      ]);
      const ready = await fetch(`${gh.url}/readyz`, { signal: bound() });
      expect(ready.status).toBe(503);
    } finally {
      proxy.thaw();
    }
    expect((await passwordGrant()).status).toBe(200);
    expect((await fetch(`${gh.url}/readyz`, { signal: bound() })).status).toBe(200);
  });
});
