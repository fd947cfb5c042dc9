import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/store/database.js';
import { dropTestSchema, testDatabaseUrl } from '../harness/storage.js';

describe('createDatabase with a schema', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  afterAll(() => dropTestSchema(schema));

  it('opens a schema that does not exist yet from many instances starting at once', async () => {
    const opened = await Promise.allSettled(
      Array.from({ length: 8 }, () =>
        createDatabase({ driver: 'postgres', url: testDatabaseUrl, poolSize: 1, schema }),
      ),
    );
    try {
      expect(opened.map((o) => o.status)).toEqual(Array.from({ length: 8 }, () => 'fulfilled'));
      for (const o of opened) {
        if (o.status !== 'fulfilled') continue;
        const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(o.value);
        expect(rows[0]?.schema).toBe(schema);
      }
    } finally {
      await Promise.all(opened.map((o) => (o.status === 'fulfilled' ? o.value.destroy() : undefined)));
    }
  });
});
