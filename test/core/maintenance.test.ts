import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../../src/lib/clock.js';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';

const clock = createTestClock(new Date('2026-11-22T10:00:00Z'));
let gh: RunningGatehouse;

beforeAll(async () => {
  gh = await startGatehouse({ clock });
});
afterAll(async () => gh?.close());

const sids = async () =>
  (await gh.storage.db.selectFrom('sessions').select('sid').execute()).map((row) => row.sid).sort();

describe('core.maintenance', () => {
  it('deletes expired sessions and keeps live ones', async () => {
    const tenant = await gh.core.tenants.create({ id: 'upkeep' });
    const user = await gh.core.users.create('upkeep', { email: 'keep@example.com', password: 'keep me around' });
    const old = await gh.core.sessions.start({ tenant, userId: user.id, amr: ['pwd'], authTime: clock.now() });
    expect(await gh.core.maintenance.runOnce()).toEqual({ failed: [] });
    expect(await sids()).toEqual([old.session.sid]);

    clock.advance(400 * 24 * 60 * 60 * 1000);
    const live = await gh.core.sessions.start({ tenant, userId: user.id, amr: ['pwd'], authTime: clock.now() });
    // The expired session is still stored until the job runs.
    expect(await sids()).toEqual([old.session.sid, live.session.sid].sort());
    expect(await gh.core.maintenance.runOnce()).toEqual({ failed: [] });
    expect(await sids()).toEqual([live.session.sid]);
    expect(await gh.core.sessions.find(tenant, live.cookie)).toMatchObject({ sid: live.session.sid });
    // The user of the expired session is not touched.
    expect(await gh.core.users.findByEmail('upkeep', 'keep@example.com')).toMatchObject({ id: user.id });
  });
});
