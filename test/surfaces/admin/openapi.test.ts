import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';

interface Operation {
  security?: unknown;
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  parameters?: { name: string; in: string }[];
}

describe('GET /openapi.json for the admin API', () => {
  let gh: RunningGatehouse;
  let paths: Record<string, Record<string, Operation>>;
  beforeAll(async () => {
    gh = await startGatehouse({ storage: 'pglite' });
    paths = ((await (await fetch(`${gh.url}/openapi.json`)).json()) as { paths: typeof paths }).paths;
  });
  afterAll(() => gh.close());

  const expected: [string, string][] = [
    ['/admin/tenants', 'post'],
    ['/admin/tenants', 'get'],
    ['/admin/tenants/{tenant}', 'get'],
    ['/admin/tenants/{tenant}', 'patch'],
    ['/admin/tenants/{tenant}', 'delete'],
    ['/admin/tenants/{tenant}/clients', 'post'],
    ['/admin/tenants/{tenant}/clients', 'get'],
    ['/admin/tenants/{tenant}/clients/{clientId}', 'get'],
    ['/admin/tenants/{tenant}/clients/{clientId}', 'patch'],
    ['/admin/tenants/{tenant}/clients/{clientId}', 'delete'],
    ['/admin/tenants/{tenant}/clients/{clientId}/rotate-secret', 'post'],
    ['/admin/tenants/{tenant}/clients/{clientId}/redirect-uris', 'post'],
    ['/admin/tenants/{tenant}/clients/{clientId}/redirect-uris', 'delete'],
    ['/admin/tenants/{tenant}/clients/{clientId}/callback-urls', 'post'],
    ['/admin/tenants/{tenant}/clients/{clientId}/callback-urls', 'delete'],
    ['/admin/tenants/{tenant}/idps', 'get'],
    ['/admin/tenants/{tenant}/idps/{idp}', 'put'],
    ['/admin/tenants/{tenant}/idps/{idp}', 'patch'],
    ['/admin/tenants/{tenant}/idps/{idp}', 'get'],
    ['/admin/tenants/{tenant}/idps/{idp}', 'delete'],
    ['/admin/tenants/{tenant}/users', 'post'],
    ['/admin/tenants/{tenant}/users', 'get'],
    ['/admin/tenants/{tenant}/users/{userId}', 'get'],
    ['/admin/tenants/{tenant}/users/{userId}', 'patch'],
    ['/admin/tenants/{tenant}/users/{userId}', 'delete'],
    ['/admin/tenants/{tenant}/users/{userId}/password', 'post'],
    ['/admin/tenants/{tenant}/users/{userId}/require-password-reset', 'post'],
    ['/admin/tenants/{tenant}/users/{userId}/reset-mfa', 'post'],
    ['/admin/tenants/{tenant}/users/{userId}/sessions', 'get'],
    ['/admin/tenants/{tenant}/users/{userId}/sessions', 'delete'],
    ['/admin/tenants/{tenant}/users/{userId}/sessions/{sid}', 'delete'],
    ['/admin/tenants/{tenant}/users/{userId}/disable', 'post'],
    ['/admin/tenants/{tenant}/users/{userId}/enable', 'post'],
    ['/admin/tenants/{tenant}/users/{userId}/identities/{idp}', 'delete'],
    ['/admin/tenants/{tenant}/keys', 'get'],
    ['/admin/tenants/{tenant}/keys/rotate', 'post'],
    ['/admin/tenants/{tenant}/audit', 'get'],
    ['/admin/export', 'get'],
    ['/admin/import', 'post'],
    ['/admin/backup', 'get'],
    ['/admin/restore', 'post'],
    ['/admin/admin-tokens', 'post'],
    ['/admin/admin-tokens', 'get'],
    ['/admin/admin-tokens/{id}', 'delete'],
  ];

  it('documents exactly the admin routes', () => {
    const documented = Object.entries(paths)
      .filter(([path]) => path.startsWith('/admin'))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(expected.map(([path, method]) => `${method.toUpperCase()} ${path}`).sort());
  });

  it.each(expected)('documents %s %s with the admin token, its responses and the problem format', (path, method) => {
    const operation = paths[path]?.[method] as Operation;
    expect(operation.security).toEqual([{ adminToken: [] }]);
    const success = Object.keys(operation.responses).find((status) => status.startsWith('2'));
    expect(success).toBeDefined();
    const problemSchema = operation.responses['4XX']?.content?.['application/json']?.schema;
    expect(problemSchema).toMatchObject({ properties: { type: {}, title: {}, status: {}, detail: {} } });
    for (const name of path.match(/\{(\w+)\}/g) ?? [])
      expect(operation.parameters?.map((p) => `${p.in}:${p.name}`)).toContain(`path:${name.slice(1, -1)}`);
  });

  it('documents request bodies with their closed schemas', () => {
    const body = paths['/admin/tenants/{tenant}/clients']?.post?.requestBody?.content['application/json']?.schema;
    expect(body).toMatchObject({
      additionalProperties: false,
      properties: { clientId: {}, redirectUris: {}, grantTypes: {} },
    });
    const importBody = paths['/admin/import']?.post?.requestBody?.content['application/json']?.schema;
    expect(importBody).toMatchObject({ additionalProperties: false, properties: { tenants: { type: 'array' } } });
    const restoreBody = paths['/admin/restore']?.post?.requestBody?.content['application/json']?.schema;
    expect(restoreBody).toMatchObject({
      additionalProperties: false,
      properties: { format: { enum: ['gatehouse-backup/1'] }, migration: {}, tables: {}, sha256: {} },
    });
  });
});
