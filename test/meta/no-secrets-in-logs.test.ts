import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';
import { adminApi } from '../surfaces/admin/admin-api.js';

/**
 * Runs every admin flow that handles a secret, with the log at its most verbose, and asserts that no secret, token or
 * password reaches it: not the admin token (right or wrong), not a client secret, not an IdP secret, not a password.
 */
describe('no secrets in logs: admin flows', () => {
  let gh: RunningGatehouse;
  const secrets: string[] = [];
  beforeAll(async () => {
    gh = await startGatehouse({ storage: 'pglite', config: { logLevel: 'trace' } });
  });
  afterAll(() => gh.close());

  it('writes none of the secrets it handles', async () => {
    const api = adminApi(gh);
    secrets.push(gh.adminToken);
    await api.post('/admin/tenants', { id: 'acme' });

    const created = await api.post('/admin/tenants/acme/clients', { clientId: 'acme-web' });
    secrets.push((created.body as { clientSecret: string }).clientSecret);
    const rotated = await api.post('/admin/tenants/acme/clients/acme-web/rotate-secret');
    secrets.push((rotated.body as { clientSecret: string }).clientSecret);

    const idpSecret = 'idp-app-secret-7f3a9c1e';
    secrets.push(idpSecret);
    await api.put('/admin/tenants/acme/idps/google', { kind: 'google', clientId: 'g', clientSecret: idpSecret });

    const password = 'user-password-5b8d2e4f';
    secrets.push(password);
    await api.post('/admin/tenants/acme/users', { email: 'ada@example.com', password });
    // A refused create logs the rejection: its body must not come with it.
    const refusedPassword = 'refused-password-9c7e1a';
    secrets.push(refusedPassword);
    await api.post('/admin/tenants/acme/users', { email: 'ada@example.com', password: refusedPassword });

    const imported = 'imported-client-secret-3e5f7a9b1c';
    const importedIdp = 'imported-idp-secret-2d4f6a8c';
    const importedPassword = 'imported-password-1a2b3c4d';
    secrets.push(imported, importedIdp, importedPassword);
    const result = await api.post('/admin/import', {
      tenants: [
        {
          id: 'beta',
          clients: [{ clientId: 'beta-web', clientSecret: imported }, { clientId: 'beta-cli' }],
          idps: [{ id: 'github', kind: 'github', clientId: 'gh', clientSecret: importedIdp }],
          users: [{ email: 'grace@example.com', password: importedPassword }],
        },
      ],
    });
    secrets.push(...(result.body as { secrets: { clientSecret: string }[] }).secrets.map((s) => s.clientSecret));
    const exported = await api.get('/admin/export');
    const sealed = JSON.stringify(exported.body).match(/v1\.[A-Za-z0-9_.-]+/g) ?? [];
    secrets.push(...sealed);

    const wrongToken = 'wrong-admin-token-6e8a0c2d4f';
    secrets.push(wrongToken);
    await api.call('GET', '/admin/tenants', undefined, { authorization: `Bearer ${wrongToken}` });
    await api.call('GET', '/admin/tenants', undefined, {
      authorization: `Basic ${Buffer.from(`admin:${wrongToken}`).toString('base64')}`,
    });

    await gh.core.audit.flush();
    const logs = gh.logs.join('');
    expect(logs.length).toBeGreaterThan(1000);
    expect(logs).toContain('/admin/import');
    expect(secrets.length).toBeGreaterThanOrEqual(12);
    expect(secrets.filter((secret) => logs.includes(secret))).toEqual([]);
  });
});
