import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';
import { expectNoWrites } from '../harness/storage.js';

const google = { id: 'google', kind: 'google', clientId: 'g.apps.example', clientSecret: 'first-secret' };

describe('core.configIo', () => {
  let gh: RunningGatehouse;
  beforeAll(async () => {
    gh = await startGatehouse({ storage: 'postgres' });
    await gh.core.configIo.importConfig({ tenants: [{ id: 'acme', idps: [google] }] });
  });
  afterAll(() => gh.close());

  it('treats a secret sealed again (another IV) as the same secret', async () => {
    const resealed = gh.secretBox.seal('first-secret');
    const result = await expectNoWrites(gh.storage.db, () =>
      gh.core.configIo.importConfig({
        tenants: [{ id: 'acme', idps: [{ ...google, clientSecret: undefined, clientSecretEncrypted: resealed }] }],
      }),
    );
    expect(result.idps).toEqual({ created: 0, updated: 0, unchanged: 1 });
  });

  it('updates a connection whose secret changed, and only it', async () => {
    const result = await gh.core.configIo.importConfig({
      tenants: [{ id: 'acme', idps: [{ ...google, clientSecret: 'second-secret' }] }],
    });
    expect(result.idps).toEqual({ created: 0, updated: 1, unchanged: 0 });
    expect((await gh.core.connections.config('acme', 'google')).clientSecret).toBe('second-secret');
  });

  it.each([
    [
      'settings the kind refuses',
      {
        tenants: [
          {
            id: 'acme',
            idps: [{ id: 'apple', kind: 'apple', clientId: 'x', clientSecret: 'k', settings: { teamId: 'nope' } }],
          },
        ],
      },
      /^document\.tenants\.0\.idps\.0: invalid apple settings: /,
    ],
    [
      'an endpoint name the kind does not have',
      { tenants: [{ id: 'acme', idps: [{ ...google, endpoints: { nowhere: 'http://127.0.0.1:1/' } }] }] },
      /^document\.tenants\.0\.idps\.0\.endpoints\.nowhere: unknown endpoint; google has /,
    ],
    [
      'a new GitHub connection without its secret',
      { tenants: [{ id: 'acme', idps: [{ id: 'github', kind: 'github', clientId: 'gh' }] }] },
      /^document\.tenants\.0\.idps\.0: a github connection needs clientSecret$/,
    ],
    [
      'both forms of a client secret',
      {
        tenants: [
          {
            id: 'acme',
            clients: [{ clientId: 'both', clientSecret: 'x'.repeat(20), clientSecretDigest: 'A'.repeat(43) }],
          },
        ],
      },
      /^document\.tenants\.0\.clients\.0: give clientSecret or clientSecretDigest, not both$/,
    ],
    [
      'a public client with a secret',
      { tenants: [{ id: 'acme', clients: [{ clientId: 'spa', public: true, clientSecret: 'x'.repeat(20) }] }] },
      /^document\.tenants\.0\.clients\.0: a public client has no secret$/,
    ],
    [
      'a client secret too short to be one',
      { tenants: [{ id: 'acme', clients: [{ clientId: 'weak', clientSecret: 'secret' }] }] },
      /^document\.tenants\.0\.clients\.0\.clientSecret: /,
    ],
    [
      'two users with one email',
      { tenants: [{ id: 'acme', users: [{ email: 'a@example.com' }, { email: 'A@Example.com ' }] }] },
      /^document\.tenants\.0\.users\.1\.email: email "a@example.com" appears twice$/,
    ],
    [
      'a tenant twice',
      { tenants: [{ id: 'acme' }, { id: 'acme' }] },
      /^document\.tenants\.1\.id: tenant "acme" appears twice$/,
    ],
  ])('refuses %s with invalid_request and writes nothing', async (_name, document, message) => {
    const error = await expectNoWrites(gh.storage.db, () =>
      gh.core.configIo.importConfig(document).catch((e: unknown) => e),
    );
    expect(error).toMatchObject({ code: 'invalid_request' });
    expect((error as Error).message).toMatch(message);
  });

  it('refuses emulator overrides where insecure upstreams are not allowed', async () => {
    const strict = await startGatehouse({
      storage: 'pglite',
      config: { mode: 'production', publicUrl: 'https://id.example' },
    });
    try {
      const error = await strict.core.configIo
        .importConfig({ tenants: [{ id: 'acme', idps: [{ ...google, emulator: 'http://127.0.0.1:1/_emulator' }] }] })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'invalid_request',
        message:
          'document.tenants.0.idps.0: emulator and endpoints are accepted only in development/test mode or with allowInsecureUpstreams',
      });
      expect(await strict.core.tenants.list()).toEqual([]);
    } finally {
      await strict.close();
    }
  });

  it('exports an unknown tenant as not_found', async () => {
    await expect(gh.core.configIo.exportConfig({ tenants: ['ghost'] })).rejects.toMatchObject({ code: 'not_found' });
  });
});
