import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Db } from '../../src/store/database.js';
import { testDatabaseUrl } from '../harness/storage.js';

// One pooled connection, so that every statement below runs on the same server session.
const schema = `prepared_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
let db: Db;

beforeAll(async () => {
  db = await createDatabase({ driver: 'postgres', url: testDatabaseUrl, poolSize: 1, schema });
  await sql`create table things (id int primary key)`.execute(db);
  await sql`insert into things values (1)`.execute(db);
});
afterAll(async () => {
  await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
  await db.destroy();
});

const prepared = async () =>
  (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db)).rows.map((r) =>
    r.statement.replace(/\s+/g, ' ').trim(),
  );

describe('PostgreSQL statements', () => {
  it('prepares a data statement once per connection and reuses it', async () => {
    for (const id of [1, 2, 1]) await sql`select id from things where id = ${id}`.execute(db);
    const statements = await prepared();
    expect(statements.filter((s) => s === 'select id from things where id = $1')).toHaveLength(1);
    // Transaction control and DDL are never prepared.
    await db.transaction().execute(async (trx) => sql`select 1 as one`.execute(trx));
    expect((await prepared()).some((s) => /^(begin|commit)/i.test(s))).toBe(false);
  });

  it('prepares a statement afresh when a migration changes its result type', async () => {
    const all = () => sql<Record<string, unknown>>`select * from things where id = ${1}`.execute(db);
    expect((await all()).rows).toEqual([{ id: 1 }]);
    await sql`alter table things add column label text default 'one'`.execute(db);
    expect((await all()).rows).toEqual([{ id: 1, label: 'one' }]);

    // Inside a transaction the stale plan fails the transaction, with the server's own error.
    await sql`alter table things add column rank int default 1`.execute(db);
    const inTransaction = await db
      .transaction()
      .execute(async (trx) => sql`select * from things where id = ${1}`.execute(trx))
      .then(
        () => 'committed',
        (error: { code?: string; message?: string }) => `${error.code}: ${error.message}`,
      );
    expect(inTransaction).toBe('0A000: cached plan must not change result type');
    expect((await all()).rows).toEqual([{ id: 1, label: 'one', rank: 1 }]);
  });

  it('runs every statement unprepared when told to (poolers that cannot keep prepared statements)', async () => {
    const plain = await createDatabase({
      driver: 'postgres',
      url: testDatabaseUrl,
      poolSize: 1,
      schema,
      prepareStatements: false,
    });
    try {
      for (const id of [1, 1]) await sql`select id from things where id = ${id}`.execute(plain);
      const names = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(plain);
      expect(names.rows).toEqual([]);
    } finally {
      await plain.destroy();
    }
  });
});
