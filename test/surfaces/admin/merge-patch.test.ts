import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGatehouseError } from '../../../src/core/errors.js';
import { createTestClock } from '../../../src/lib/clock.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites, storageKinds } from '../../harness/storage.js';
import { adminApi, problem } from './admin-api.js';

interface ClientBody {
  clientId: string;
  name: string;
  redirectUris: string[];
  callbackUrls: string[];
  grantTypes: string[];
  settings: Record<string, unknown>;
  clientSecret?: string;
}

describe.each(storageKinds)('admin merge patches, URL lists and secret rotation on %s', (storage) => {
  const clock = createTestClock(new Date('2026-03-01T10:00:00Z'));
  let gh: RunningGatehouse;
  let api: ReturnType<typeof adminApi>;
  let web: ClientBody;

  const authenticates = async (clientId: string, clientSecret: string): Promise<boolean | string> =>
    gh.core.clients.authenticate({ method: 'client_secret_basic', clientId, clientSecret }, 'mp').then(
      () => true,
      (error: unknown) => (isGatehouseError(error) ? error.code : String(error)),
    );

  beforeAll(async () => {
    gh = await startGatehouse({ storage, clock });
    api = adminApi(gh);
    await api.post('/admin/tenants', { id: 'mp' });
    const created = await api.post('/admin/tenants/mp/clients', {
      clientId: 'mp-web',
      name: 'Web',
      redirectUris: ['https://app.example/cb', 'https://app.example/cb2'],
      callbackUrls: ['https://app.example/done'],
      settings: { accessTokenTtlSeconds: 600, scopes: ['openid', 'email'], consent: 'skip' },
    });
    expect(created.status).toBe(201);
    web = created.body as ClientBody;
  });
  afterAll(() => gh.close());

  describe('clients', () => {
    it('PATCH keeps the members it leaves out, merges settings and removes what is null', async () => {
      const response = await api.patch('/admin/tenants/mp/clients/mp-web', {
        name: 'Web shop',
        settings: { accessTokenTtlSeconds: null, refreshTokenTtlSeconds: 3600 },
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        clientId: 'mp-web',
        name: 'Web shop',
        redirectUris: ['https://app.example/cb', 'https://app.example/cb2'],
        callbackUrls: ['https://app.example/done'],
        grantTypes: web.grantTypes,
        settings: { refreshTokenTtlSeconds: 3600, scopes: ['openid', 'email'] },
      });
      expect((response.body as ClientBody).settings).not.toHaveProperty('accessTokenTtlSeconds');
      const row = await gh.storage.db
        .selectFrom('clients')
        .select('settings')
        .where('client_id', '=', 'mp-web')
        .executeTakeFirstOrThrow();
      expect(row.settings).toEqual({ refreshTokenTtlSeconds: 3600, scopes: ['openid', 'email'], consent: 'skip' });
    });

    it('PATCH with a list replaces the list (RFC 7396: arrays are values)', async () => {
      const response = await api.patch('/admin/tenants/mp/clients/mp-web', {
        redirectUris: ['https://app.example/cb'],
      });
      expect(response.body).toMatchObject({
        redirectUris: ['https://app.example/cb'],
        callbackUrls: ['https://app.example/done'],
      });
    });

    it('PATCH refuses bad input with 400 and an unknown client with 404, changing nothing', async () => {
      for (const body of [
        { clientId: 'other' },
        { public: true },
        { redirectUris: ['javascript:alert(1)'] },
        { settings: { accessTokenTtlSeconds: 5 } },
        { settings: { unknown: 1 } },
        { grantTypes: ['magic'] },
      ]) {
        const response = await expectNoWrites(gh.storage.db, () => api.patch('/admin/tenants/mp/clients/mp-web', body));
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.contentType).toContain('application/problem+json');
        expect(response.body).toMatchObject({ title: 'invalid_request', status: 400 });
      }
      const unknown = await expectNoWrites(gh.storage.db, () =>
        api.patch('/admin/tenants/mp/clients/nobody-here', { name: 'x' }),
      );
      expect(unknown.status).toBe(404);
    });

    it('adds and removes one redirect URI and one callback URL at a time', async () => {
      const added = await api.post('/admin/tenants/mp/clients/mp-web/redirect-uris', {
        uri: 'https://app.example/new',
      });
      expect(added.status).toBe(200);
      expect((added.body as ClientBody).redirectUris).toEqual(['https://app.example/cb', 'https://app.example/new']);
      const again = await expectNoWrites(gh.storage.db, () =>
        api.post('/admin/tenants/mp/clients/mp-web/redirect-uris', { uri: 'https://app.example/new' }),
      );
      expect((again.body as ClientBody).redirectUris).toEqual(['https://app.example/cb', 'https://app.example/new']);
      const removed = await api.delete(
        `/admin/tenants/mp/clients/mp-web/redirect-uris?uri=${encodeURIComponent('https://app.example/cb')}`,
      );
      expect((removed.body as ClientBody).redirectUris).toEqual(['https://app.example/new']);

      const callback = await api.post('/admin/tenants/mp/clients/mp-web/callback-urls', {
        url: 'com.example.app:/done',
      });
      expect((callback.body as ClientBody).callbackUrls).toEqual(['https://app.example/done', 'com.example.app:/done']);
      const callbackRemoved = await api.delete(
        `/admin/tenants/mp/clients/mp-web/callback-urls?url=${encodeURIComponent('https://app.example/done')}`,
      );
      expect((callbackRemoved.body as ClientBody).callbackUrls).toEqual(['com.example.app:/done']);
      expect((callbackRemoved.body as ClientBody).redirectUris).toEqual(['https://app.example/new']);
    });

    it('refuses a URL a client may not have, a URL not there, a bad body and an unknown client, changing nothing', async () => {
      const cases: [() => ReturnType<typeof api.get>, number][] = [
        [() => api.post('/admin/tenants/mp/clients/mp-web/redirect-uris', { uri: 'javascript:alert(1)' }), 400],
        [() => api.post('/admin/tenants/mp/clients/mp-web/redirect-uris', { uri: 'https://a.example/#frag' }), 400],
        [() => api.post('/admin/tenants/mp/clients/mp-web/redirect-uris', { url: 'https://a.example/' }), 400],
        [() => api.post('/admin/tenants/mp/clients/mp-web/callback-urls', { url: 'data:text/html,hi' }), 400],
        [() => api.delete('/admin/tenants/mp/clients/mp-web/redirect-uris'), 400],
        [
          () =>
            api.delete(
              `/admin/tenants/mp/clients/mp-web/redirect-uris?uri=${encodeURIComponent('https://x.example/')}`,
            ),
          404,
        ],
        [() => api.post('/admin/tenants/mp/clients/nobody-here/redirect-uris', { uri: 'https://a.example/' }), 404],
        [() => api.post('/admin/tenants/elsewhere/clients/mp-web/redirect-uris', { uri: 'https://a.example/' }), 404],
      ];
      for (const [call, status] of cases) {
        const response = await expectNoWrites(gh.storage.db, call);
        expect(response.status).toBe(status);
        expect(response.contentType).toContain('application/problem+json');
      }
    });
  });

  describe('secret rotation', () => {
    it('keeps the old secret valid until the grace ends, compared against both', async () => {
      const first = web.clientSecret as string;
      expect(await authenticates('mp-web', first)).toBe(true);
      const rotated = await api.post('/admin/tenants/mp/clients/mp-web/rotate-secret', { graceSeconds: 600 });
      expect(rotated.status).toBe(200);
      const second = (rotated.body as ClientBody).clientSecret as string;
      expect(second).not.toBe(first);
      expect(await authenticates('mp-web', second)).toBe(true);
      expect(await authenticates('mp-web', first)).toBe(true);
      expect(await authenticates('mp-web', 'neither-secret')).toBe('invalid_client');

      clock.advance(599_000);
      expect(await authenticates('mp-web', first)).toBe(true);
      clock.advance(2_000);
      expect(await authenticates('mp-web', first)).toBe('invalid_client');
      expect(await authenticates('mp-web', second)).toBe(true);
    });

    it('without a grace the old secret stops at once, and a new rotation ends an earlier grace', async () => {
      const withGrace = await api.post('/admin/tenants/mp/clients/mp-web/rotate-secret', { graceSeconds: 3600 });
      const a = (withGrace.body as ClientBody).clientSecret as string;
      const b = (
        (await api.post('/admin/tenants/mp/clients/mp-web/rotate-secret', { graceSeconds: 3600 })).body as ClientBody
      ).clientSecret as string;
      const c = ((await api.post('/admin/tenants/mp/clients/mp-web/rotate-secret')).body as ClientBody)
        .clientSecret as string;
      expect(await authenticates('mp-web', a)).toBe('invalid_client');
      expect(await authenticates('mp-web', b)).toBe('invalid_client');
      expect(await authenticates('mp-web', c)).toBe(true);
    });

    it('the old secret works at the token endpoint during the grace', async () => {
      const before = ((await api.post('/admin/tenants/mp/clients/mp-web/rotate-secret')).body as ClientBody)
        .clientSecret as string;
      await api.post('/admin/tenants/mp/clients/mp-web/rotate-secret', { graceSeconds: 60 });
      const response = await fetch(`${gh.issuer('mp')}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`mp-web:${before}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      expect(response.status).toBe(200);
      clock.advance(61_000);
      const after = await fetch(`${gh.issuer('mp')}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`mp-web:${before}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      expect(after.status).toBe(401);
    });

    it('refuses a bad grace with 400, changing nothing', async () => {
      for (const body of [{ graceSeconds: -1 }, { graceSeconds: 2592001 }, { graceSeconds: 1.5 }, { grace: 10 }]) {
        const response = await expectNoWrites(gh.storage.db, () =>
          api.post('/admin/tenants/mp/clients/mp-web/rotate-secret', body),
        );
        expect(response.status, JSON.stringify(body)).toBe(400);
      }
    });
  });

  describe('identity providers', () => {
    const google = {
      kind: 'google',
      clientId: 'web.apps.example',
      clientSecret: 'google-secret',
      trustEmail: true,
      scopes: ['openid', 'email'],
      settings: { audiences: ['ios.apps.example', 'android.apps.example'] },
    };

    it('PATCH keeps trustEmail, the audiences and the secret that PUT would reset', async () => {
      expect((await api.put('/admin/tenants/mp/idps/google', google)).status).toBe(201);
      const patched = await api.patch('/admin/tenants/mp/idps/google', { clientId: 'web-2.apps.example' });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual({
        id: 'google',
        kind: 'google',
        clientId: 'web-2.apps.example',
        hasClientSecret: true,
        scopes: ['openid', 'email'],
        trustEmail: true,
        settings: { audiences: ['ios.apps.example', 'android.apps.example'] },
        callbackUrl: `${gh.url}/t/mp/SocialAuth/googleAuthCallback`,
      });
      const config = await gh.core.connections.config('mp', 'google');
      expect(config.clientSecret).toBe('google-secret');

      const cleared = await api.patch('/admin/tenants/mp/idps/google', { scopes: null, settings: { audiences: null } });
      expect(cleared.body).toEqual({
        id: 'google',
        kind: 'google',
        clientId: 'web-2.apps.example',
        hasClientSecret: true,
        trustEmail: true,
        settings: {},
        callbackUrl: `${gh.url}/t/mp/SocialAuth/googleAuthCallback`,
      });

      // PUT stays a full replacement: what it leaves out goes back to its default.
      const replaced = await api.put('/admin/tenants/mp/idps/google', {
        kind: 'google',
        clientId: 'web-3.apps.example',
      });
      expect(replaced.body).toMatchObject({ trustEmail: false, settings: {}, hasClientSecret: true });
    });

    it('PATCH refuses bad input with 400 and an unknown connection with 404, changing nothing', async () => {
      for (const body of [
        { id: 'other' },
        { kind: 'myspace' },
        { clientSecret: null },
        { trustEmail: 'yes' },
        { settings: { audiences: 'one' } },
      ]) {
        const response = await expectNoWrites(gh.storage.db, () => api.patch('/admin/tenants/mp/idps/google', body));
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.body).toMatchObject({ title: 'invalid_request' });
      }
      const unknown = await expectNoWrites(gh.storage.db, () =>
        api.patch('/admin/tenants/mp/idps/nothing', { trustEmail: true }),
      );
      expect(unknown.body).toEqual(problem('not_found', 404, 'identity provider "nothing" does not exist'));
    });
  });
});
