/** Flex `current_user/create` goes through the core's one password registration: its rules and the sign-up policy. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoWrites } from '../../harness/storage.js';
import { type FlexWorld, sdkFailure, startFlexWorld } from './support.js';

let world: FlexWorld;

beforeAll(async () => {
  world = await startFlexWorld();
});
afterAll(async () => world?.close());

describe('POST /v1/api/current_user/create under the password rules and the signup policy', () => {
  it('answers 400 validation-invalid-params and writes nothing for one of the most common passwords', async () => {
    const { email } = world.unique('common');
    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(world.sdk().currentUser.create({ email, password: 'iloveyou1', firstName: 'C', lastName: 'P' })),
    );
    expect(failure.status).toBe(400);
    expect((failure.data as { errors: unknown[] }).errors).toEqual([
      expect.objectContaining({ status: 400, code: 'validation-invalid-params' }),
    ]);
  });

  it('stores the address unverified', async () => {
    const { email } = world.unique('unverified');
    await world.sdk().currentUser.create({ email, password: 'an uncommon passphrase', firstName: 'U', lastName: 'V' });
    expect(await world.gh.core.users.findByEmail(world.tenant.id, email)).toMatchObject({ emailVerified: false });
  });

  it('is refused, writing nothing, once the tenant allows sign-up only through identity providers', async () => {
    await world.gh.core.tenants.update(world.tenant.id, { policies: { ...world.tenant.policies, signup: 'upstream' } });
    const { email } = world.unique('closed');
    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(
        world.sdk().currentUser.create({ email, password: 'an uncommon passphrase', firstName: 'N', lastName: 'O' }),
      ),
    );
    expect(failure.status).toBe(403);
    expect(await world.gh.core.users.findByEmail(world.tenant.id, email)).toBeUndefined();
  });
});
