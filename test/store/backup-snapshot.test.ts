import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSnapshot } from '../../src/store/backup.js';
import { knownMigrations, migrateToLatest } from '../../src/store/migrate.js';
import { insertTenantWithClients, openTestStorage, storageKinds, type TestStorage } from '../harness/storage.js';

/** The schema migration of a store this code has brought up to date. */
const latestMigration = knownMigrations().at(-1);

describe.each(storageKinds)('a backup snapshot on %s', (kind) => {
  let storage: TestStorage;
  beforeAll(async () => {
    storage = await openTestStorage(kind);
    await migrateToLatest(storage.db);
    await insertTenantWithClients(storage.db, 'snap', []);
    // More users than one page holds.
    await sql`
      insert into users (id, tenant_id, email)
      select gen_random_uuid(), 'snap', 'u' || n || '@snap.example' from generate_series(1, 2100) as n`.execute(
      storage.db,
    );
    // And rows keyed by two columns (tenant, id), over more than a page.
    await insertTenantWithClients(storage.db, 'snap-b', []);
    await sql`
      insert into idp_connections (tenant_id, id, kind, client_id)
      select tenant, 'c' || n, 'oidc', 'app' from generate_series(1, 600) as n, unnest(array['snap', 'snap-b']) as tenant
    `.execute(storage.db);
  });
  afterAll(() => storage?.close());

  it('reads every row once, by primary key, a page at a time', async () => {
    const snapshot = await openSnapshot(storage.db);
    const pages: number[] = [];
    const ids: string[] = [];
    try {
      expect(snapshot.migration).toBe(latestMigration);
      for await (const page of snapshot.rows('users')) {
        pages.push(page.length);
        ids.push(...page.map((row) => String(row.id)));
      }
    } finally {
      // The embedded store has one connection: nothing else runs until the snapshot closes.
      await snapshot.close();
    }
    expect(pages).toEqual([1000, 1000, 100]);
    const stored = await storage.db.selectFrom('users').select('id').orderBy('id').execute();
    expect(ids).toEqual(stored.map((row) => row.id));
  });

  it('pages over a key of two columns', async () => {
    const snapshot = await openSnapshot(storage.db);
    const keys: string[] = [];
    try {
      for await (const page of snapshot.rows('idp_connections'))
        keys.push(...page.map((r) => `${r.tenant_id}/${r.id}`));
    } finally {
      await snapshot.close();
    }
    const stored = await storage.db
      .selectFrom('idp_connections')
      .select(['tenant_id', 'id'])
      .orderBy('tenant_id')
      .orderBy('id')
      .execute();
    expect(keys).toEqual(stored.map((r) => `${r.tenant_id}/${r.id}`));
    expect(new Set(keys).size).toBe(1200);
  });

  it('sees the store as it was when it opened, whatever is written meanwhile', async () => {
    const snapshot = await openSnapshot(storage.db);
    let written: Promise<unknown>;
    try {
      written = insertTenantWithClients(storage.db, 'later', []);
      // PostgreSQL commits the write at once, beside the snapshot; the embedded store runs it once the snapshot closes.
      if (kind === 'postgres') await written;
      const tenants: unknown[] = [];
      for await (const page of snapshot.rows('tenants')) tenants.push(...page.map((row) => row.id));
      expect(tenants).toEqual(['snap', 'snap-b']);
    } finally {
      await snapshot.close();
    }
    await written;
    expect((await storage.db.selectFrom('tenants').select('id').orderBy('id').execute()).map((t) => t.id)).toEqual([
      'later',
      'snap',
      'snap-b',
    ]);
  });
});
