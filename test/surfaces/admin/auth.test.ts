import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../src/http/server.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites } from '../../harness/storage.js';
import { adminApi, problem } from './admin-api.js';

const unauthorized = problem('unauthorized', 401, 'a valid admin bearer token is required');

describe('admin API authentication', () => {
  let gh: RunningGatehouse;
  let api: ReturnType<typeof adminApi>;
  beforeAll(async () => {
    gh = await startGatehouse({ storage: 'pglite' });
    api = adminApi(gh);
  });
  afterAll(() => gh.close());

  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer not-the-admin-token-0123456789' }],
    ['the token with one character more', { authorization: 'Bearer test-admin-token-0123456789abcdefX' }],
    [
      'the token under the Basic scheme',
      { authorization: `Basic ${Buffer.from('admin:test-admin-token-0123456789abcdef').toString('base64')}` },
    ],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('answers 401 with a Bearer challenge for %s', async (_name, headers) => {
    const response = await fetch(`${gh.url}/admin/tenants`, { headers });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse-admin"');
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await response.json()).toEqual(unauthorized);
  });

  it('accepts the token with the scheme in any case (RFC 9110 §11.1)', async () => {
    const response = await fetch(`${gh.url}/admin/tenants`, { headers: { authorization: `bearer ${gh.adminToken}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ items: [] });
  });

  it('checks the token before reading the body, and writes nothing', async () => {
    const response = await expectNoWrites(gh.storage.db, () =>
      api.call('POST', '/admin/tenants', { id: 'sneaky' }, { authorization: 'Bearer wrong' }),
    );
    expect(response.status).toBe(401);
    expect(response.body).toEqual(unauthorized);
    const malformed = await api.call('POST', '/admin/tenants', '{', {
      authorization: 'Bearer wrong',
      'content-type': 'application/json',
    });
    expect(malformed.status).toBe(401);
  });

  it('does not reveal which admin routes exist to an unauthenticated caller', async () => {
    const response = await api.call('GET', '/admin/no-such-route', undefined, { authorization: 'Bearer wrong' });
    expect(response.status).toBe(401);
    expect(response.body).toEqual(unauthorized);
  });

  it('refuses every call when no admin token is configured', async () => {
    const server = await buildServer({ core: gh.core, log: gh.app.log, publicUrl: gh.url, mode: 'test' });
    try {
      for (const [method, url] of [
        ['GET', '/admin/tenants'],
        ['POST', '/admin/tenants'],
        ['GET', '/admin/export'],
      ] as const) {
        const response = await server.inject({ method, url, headers: { authorization: `Bearer ${gh.adminToken}` } });
        expect(response.statusCode).toBe(401);
        expect(response.json()).toEqual(
          problem('unauthorized', 401, 'the admin API is disabled: no admin token is configured'),
        );
      }
    } finally {
      await server.close();
    }
  });
});
