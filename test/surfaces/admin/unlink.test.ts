import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idpProfile, userWithIdentities } from '../../harness/accounts.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites, storageKinds } from '../../harness/storage.js';

describe.each(storageKinds)('DELETE /admin/tenants/:tenant/users/:userId/identities/:idp on %s', (kind) => {
  let gh: RunningGatehouse;
  let userId: string;
  const admin = (path: string) =>
    fetch(`${gh.url}/admin${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${gh.adminToken}` } });

  beforeAll(async () => {
    gh = await startGatehouse({ storage: kind });
    const tenant = await gh.core.tenants.create({ id: 'unlinking' });
    userId = await userWithIdentities(gh.core, tenant, [idpProfile('google', 'g-1'), idpProfile('github', 'gh-1')]);
  });
  afterAll(async () => gh?.close());

  it('unlinks one identity, then refuses the last one with 409 problem+json and writes nothing', async () => {
    const removed = await admin(`/tenants/unlinking/users/${userId}/identities/github`);
    expect(removed.status).toBe(204);
    expect((await gh.core.users.identities(userId)).map((i) => i.idp)).toEqual(['google']);

    const last = await expectNoWrites(gh.storage.db, () =>
      admin(`/tenants/unlinking/users/${userId}/identities/google`),
    );
    expect(last.status).toBe(409);
    expect(last.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await last.json()).toMatchObject({ title: 'last_login_method', status: 409 });
  });

  it('answers 404 for an identity, user or tenant that does not exist', async () => {
    for (const path of [
      `/tenants/unlinking/users/${userId}/identities/apple`,
      '/tenants/unlinking/users/00000000-0000-4000-8000-000000000000/identities/google',
      `/tenants/nowhere/users/${userId}/identities/google`,
    ]) {
      const response = await admin(path);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ title: 'not_found', status: 404 });
    }
  });
});
