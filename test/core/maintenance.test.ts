import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../../src/lib/clock.js';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';

const clock = createTestClock(new Date('2026-11-22T10:00:00Z'));
let gh: RunningGatehouse;

beforeAll(async () => {
  gh = await startGatehouse({ clock });
});
afterAll(async () => gh?.close());

const count = async (table: 'sessions' | 'users') =>
  Number(
    (
      await gh.storage.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('core.maintenance', () => {
  it('deletes expired sessions and keeps live ones', async () => {
    const tenant = await gh.core.tenants.create({ id: 'upkeep' });
    const user = await gh.core.users.create('upkeep', { email: 'keep@example.com', password: 'keep me around' });
    await gh.core.sessions.start({ tenant, userId: user.id, amr: ['pwd'], authTime: clock.now() });
    expect(await gh.core.maintenance.runOnce()).toEqual({ failed: [] });
    expect(await count('sessions')).toBe(1);

    clock.advance(400 * 24 * 60 * 60 * 1000);
    await gh.core.sessions.start({ tenant, userId: user.id, amr: ['pwd'], authTime: clock.now() });
    expect(await gh.core.maintenance.runOnce()).toEqual({ failed: [] });
    expect(await count('sessions')).toBe(1);
    expect(await count('users')).toBe(1);
  });
});
