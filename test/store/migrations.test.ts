import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, migrationStatus } from '../../src/store/migrate.js';
import { openTestStorage, storageKinds, type TestStorage } from '../harness/storage.js';

describe.each(storageKinds)('migrations on %s', (kind) => {
  let storage: TestStorage | undefined;
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
  });

  it('applies every migration from empty, then reports nothing to do when run again', async () => {
    storage = await openTestStorage(kind);
    const first = await migrateToLatest(storage.db);
    expect(first.length).toBeGreaterThan(0);
    expect(first[0]).toBe('0001-initial');
    expect(await migrateToLatest(storage.db)).toEqual([]);
    const status = await migrationStatus(storage.db);
    expect(status.every((m) => m.applied)).toBe(true);
    expect(status.map((m) => m.name)).toEqual(first);
  });

  it('enforces one identity per (tenant, idp, subject) and one account per email per tenant', async () => {
    storage = await openTestStorage(kind);
    await migrateToLatest(storage.db);
    const db = storage.db;
    await db
      .insertInto('tenants')
      .values({
        id: 't1',
        name: 't1',
        policies: JSON.stringify({ linking: 'merge_needed', mfa: 'off' }),
        hostnames: '[]',
      })
      .execute();
    const user = (id: string, email: string) => ({
      id,
      tenant_id: 't1',
      email,
      profile: '{}',
      email_verified: false,
      status: 'active' as const,
    });
    await db.insertInto('users').values(user('00000000-0000-4000-8000-000000000001', 'a@example.com')).execute();
    await expect(
      db.insertInto('users').values(user('00000000-0000-4000-8000-000000000002', 'a@example.com')).execute(),
    ).rejects.toMatchObject({ code: '23505' });
    const identity = (id: string) => ({
      id,
      tenant_id: 't1',
      user_id: '00000000-0000-4000-8000-000000000001',
      idp: 'google',
      issuer: 'https://accounts.google.com',
      subject: '42',
      email: null,
      email_verified: false,
      raw: '{}',
    });
    await db.insertInto('identities').values(identity('00000000-0000-4000-8000-00000000000a')).execute();
    await expect(
      db.insertInto('identities').values(identity('00000000-0000-4000-8000-00000000000b')).execute(),
    ).rejects.toMatchObject({
      code: '23505',
    });
  });
});
