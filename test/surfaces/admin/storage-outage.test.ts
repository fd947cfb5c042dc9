import { connect, createServer, type Server, type Socket } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Db } from '../../../src/store/database.js';
import { freePort, type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { openTestStorage, type TestStorage, testDatabaseUrl } from '../../harness/storage.js';
import { adminApi, problem } from './admin-api.js';

/** A TCP proxy in front of PostgreSQL that can be pulled: the database "goes down" and comes back on the same port. */
const databaseProxy = (port: number) => {
  const target = new URL(testDatabaseUrl);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  return {
    up: () =>
      new Promise<void>((resolve, reject) => {
        server = createServer((client) => {
          const upstream = connect(Number(target.port || 5432), target.hostname);
          for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('close', () => sockets.delete(s));
            s.on('error', () => s.destroy());
          }
          client.pipe(upstream).pipe(client);
        });
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      }),
    down: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    },
  };
};

const unavailable = problem('storage_unavailable', 503, 'The database or cache is unreachable.');

const waitFor = async (check: () => Promise<boolean>, ms = 20_000): Promise<void> => {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('admin API while PostgreSQL is down', () => {
  let storage: TestStorage;
  let db: Db;
  let gh: RunningGatehouse;
  let proxy: ReturnType<typeof databaseProxy>;
  let api: ReturnType<typeof adminApi>;

  beforeAll(async () => {
    storage = await openTestStorage('postgres');
    const port = await freePort();
    proxy = databaseProxy(port);
    await proxy.up();
    const url = new URL(testDatabaseUrl);
    url.host = `127.0.0.1:${port}`;
    const schema = storage.schema as string;
    db = await createDatabase({ driver: 'postgres', url: url.toString(), poolSize: 3, schema });
    gh = await startGatehouse({
      sharedStorage: {
        kind: 'postgres',
        db,
        schema,
        configFields: { databaseUrl: url.toString(), databaseSchema: schema },
        close: async () => {},
      },
    });
    api = adminApi(gh);
  });
  afterAll(async () => {
    await proxy.up().catch(() => {});
    await gh.close();
    await db.destroy();
    await proxy.down();
    await storage.close();
  });

  const readyz = async () => (await fetch(`${gh.url}/readyz`)).status;

  it('serves normally while the database is up', async () => {
    expect((await api.post('/admin/tenants', { id: 'acme' })).status).toBe(201);
    expect(await readyz()).toBe(200);
  });

  it('answers 503 storage_unavailable on /readyz and on admin calls when the database is down, writing nothing', async () => {
    await proxy.down();
    const ready = await fetch(`${gh.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'storage_unavailable' });
    expect((await fetch(`${gh.url}/healthz`)).status).toBe(200);

    for (const [method, path, body] of [
      ['GET', '/admin/tenants', undefined],
      ['POST', '/admin/tenants', { id: 'beta' }],
      ['POST', '/admin/tenants/acme/users', { email: 'down@example.com' }],
      ['GET', '/admin/export', undefined],
      ['POST', '/admin/import', { tenants: [{ id: 'gamma' }] }],
    ] as const) {
      const response = await api.call(method, path, body);
      expect(response.status, `${method} ${path}`).toBe(503);
      expect(response.contentType).toBe('application/problem+json; charset=utf-8');
      expect(response.body).toEqual(unavailable);
    }
  });

  it('keeps running when the connection of a query in flight is cut', async () => {
    await proxy.up();
    await waitFor(async () => (await readyz()) === 200);
    // A query holds a pooled connection (as any request does) while the database goes away under it. Its result
    // column is named after this file's schema, to find it among the server's running queries.
    const schema = storage.schema as string;
    const inFlight = sql`select pg_sleep(5) as ${sql.id(schema)}`.execute(db);
    // Cut only once the server runs it (seen over a connection of the test's own, not through the proxy).
    await waitFor(async () => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity
        where state = 'active' and pid <> pg_backend_pid() and query like ${`%pg_sleep(5) as "${schema}"%`}`.execute(
        storage.db,
      );
      return rows[0]?.n === 1;
    }, 5000);
    await proxy.down();
    await expect(inFlight).rejects.toThrow(/Connection terminated/);
    expect(await readyz()).toBe(503);
  });

  it('recovers by itself when the database is back', async () => {
    await proxy.up();
    await waitFor(async () => (await readyz()) === 200);
    const list = await api.get('/admin/tenants');
    expect(list.status).toBe(200);
    expect((list.body as { items: { id: string }[] }).items.map((t) => t.id)).toEqual(['acme']);
    expect((await api.post('/admin/tenants', { id: 'beta' })).status).toBe(201);
    const rows = await storage.db.selectFrom('tenants').select('id').orderBy('id').execute();
    expect(rows.map((r) => r.id)).toEqual(['acme', 'beta']);
  });
});
