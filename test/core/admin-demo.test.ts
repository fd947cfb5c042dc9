import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorTypes } from '../../src/connectors/registry.js';
import { sha256 } from '../../src/lib/crypto.js';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';
import { expectNoWrites, storageKinds } from '../harness/storage.js';

describe.each(storageKinds)('core.demo.seedDemo on %s', (storage) => {
  let gh: RunningGatehouse;
  beforeAll(async () => {
    gh = await startGatehouse({ storage });
  });
  afterAll(() => gh.close());

  it('creates the demo tenant, client, every IdP connection and a user on an empty store', async () => {
    const result = await gh.core.demo.seedDemo({ publicUrl: gh.url });
    expect(result).toEqual({
      created: true,
      tenantId: 'demo',
      clientId: 'demo-client',
      clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      user: { email: 'demo@example.com', password: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) },
      idps: [...connectorTypes],
      emulatorUrl: `${gh.url}/_emulator`,
    });
    if (!result.created) return;

    const client = await gh.storage.db
      .selectFrom('clients')
      .selectAll()
      .where('tenant_id', '=', 'demo')
      .executeTakeFirstOrThrow();
    expect(client).toMatchObject({
      client_id: 'demo-client',
      public: false,
      secret_digest: sha256(result.clientSecret),
    });
    expect(client.redirect_uris).toContain('http://localhost:3000/callback');
    expect(client.redirect_uris).toContain('https://oidcdebugger.com/debug');
    expect(client.grant_types).toEqual(
      expect.arrayContaining(['authorization_code', 'password', 'urn:ietf:params:oauth:grant-type:token-exchange']),
    );

    const connections = await gh.core.connections.list('demo');
    expect(connections.map((c) => c.kind).sort()).toEqual([...connectorTypes].sort());
    for (const connection of connections) {
      expect(connection).toMatchObject({ id: connection.kind, emulator: `${gh.url}/_emulator`, hasClientSecret: true });
      // Each one builds into a working connector (settings and secret accepted by its kind).
      expect((await gh.core.connections.config('demo', connection.id)).clientSecret).toBeDefined();
    }

    const user = await gh.core.users.verifyCredentials('demo', result.user.email, result.user.password);
    expect(user).toMatchObject({ email: 'demo@example.com', emailVerified: true, firstName: 'Demo', lastName: 'User' });
  });

  it('does nothing on a store that has a tenant', async () => {
    const result = await expectNoWrites(gh.storage.db, () => gh.core.demo.seedDemo({ publicUrl: gh.url }));
    expect(result).toEqual({ created: false });
  });
});
