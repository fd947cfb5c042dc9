import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorTypes, createConnector } from '../../src/connectors/registry.js';
import { sha256 } from '../../src/lib/crypto.js';
import { testDeps } from '../connectors/support.js';
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
    if (!result.created) throw new Error('the demo was not created on an empty store');

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
      // Each one builds into a connector: its kind accepts the stored settings and the decrypted secret (Apple's
      // must be a .p8 key), and refuses to build otherwise.
      const config = await gh.core.connections.config('demo', connection.id);
      expect(config.clientSecret).toEqual(expect.any(String));
      const connector = createConnector(config, testDeps().deps);
      expect({ id: connector.id, kind: connector.kind }).toEqual({ id: connection.id, kind: connection.kind });
    }

    const user = await gh.core.users.verifyCredentials('demo', result.user.email, result.user.password);
    expect(user).toMatchObject({ email: 'demo@example.com', emailVerified: true, firstName: 'Demo', lastName: 'User' });
  });

  it('does nothing on a store that has a tenant', async () => {
    const result = await expectNoWrites(gh.storage.db, () => gh.core.demo.seedDemo({ publicUrl: gh.url }));
    expect(result).toEqual({ created: false });
  });
});
