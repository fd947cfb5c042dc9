/**
 * Tenant and client branding through the admin API: stored and shown back, refused field by field with nothing
 * changed; the colours a page is dressed in always read at 4.5:1; and `/` and `/t/{tenant}` answer a person with a
 * page and a program asking for JSON with the JSON 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brandIsReadable, brandOf } from '../../../src/core/tenants/branding.js';
import { contrastRatio } from '../../../src/lib/colour.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites } from '../../harness/storage.js';
import { adminApi } from './admin-api.js';

describe('PATCH /admin/tenants/{tenant} and …/clients/{client} branding', () => {
  let gh: RunningGatehouse;
  let api: ReturnType<typeof adminApi>;
  beforeAll(async () => {
    gh = await startGatehouse();
    api = adminApi(gh);
    await gh.core.tenants.create({ id: 'brand', name: 'Brand' });
    await gh.core.clients.create('brand', {
      clientId: 'brand-app',
      name: 'App',
      redirectUris: ['https://app.example/cb'],
    });
  });
  afterAll(async () => {
    await gh?.close();
  });

  it('stores a tenant branding and shows it back', async () => {
    const branding = {
      displayName: 'Brand Co',
      logoUrl: 'https://cdn.brand.example/logo.png',
      primaryColor: '#ffcc00',
      supportUrl: 'mailto:help@brand.example',
      defaultLocale: 'de',
      providerOrder: ['github', 'google'],
    };
    const response = await api.patch('/admin/tenants/brand', { policies: { branding } });
    expect(response.status).toBe(200);
    expect((response.body as { policies: unknown }).policies).toEqual({
      linking: 'merge_needed',
      mfa: 'off',
      branding,
    });
    expect((await gh.core.tenants.require('brand')).policies.branding).toEqual(branding);
  });

  it('stores a client branding and shows it back', async () => {
    const response = await api.patch('/admin/tenants/brand/clients/brand-app', {
      settings: { branding: { displayName: 'The App', primaryColor: '#0b6e4f' } },
    });
    expect(response.status).toBe(200);
    expect((response.body as { settings: unknown }).settings).toEqual({
      branding: { displayName: 'The App', primaryColor: '#0b6e4f' },
    });
  });

  it('exports the branding and imports it back unchanged', async () => {
    const exported = await api.get('/admin/export?tenant=brand');
    expect(exported.status).toBe(200);
    const document = exported.body as {
      tenants: { policies: { branding: unknown }; clients: { settings: { branding?: unknown } }[] }[];
    };
    const [tenant] = document.tenants;
    expect(tenant?.policies.branding).toMatchObject({ displayName: 'Brand Co', providerOrder: ['github', 'google'] });
    expect(tenant?.clients[0]?.settings.branding).toEqual({ displayName: 'The App', primaryColor: '#0b6e4f' });
    const imported = await expectNoWrites(gh.storage.db, () => api.post('/admin/import', document));
    expect(imported.status).toBe(200);
  });

  it.each([
    ['primaryColor', 'red'],
    ['primaryColor', '#12345'],
    ['logoUrl', 'http://cdn.brand.example/logo.png'],
    ['logoUrl', 'javascript:alert(1)'],
    ['logoUrl', 'data:text/html;base64,PGgxPg=='],
    ['supportUrl', 'javascript:alert(1)'],
    ['defaultLocale', 'german'],
    ['displayName', ''],
  ])('refuses %s %j with a 400 naming the field, and changes nothing', async (field, value) => {
    const response = await expectNoWrites(gh.storage.db, () =>
      api.patch('/admin/tenants/brand', { policies: { branding: { [field]: value } } }),
    );
    expect(response.status).toBe(400);
    expect((response.body as { detail: string }).detail).toContain(`branding.${field}`);
    const client = await expectNoWrites(gh.storage.db, () =>
      api.patch('/admin/tenants/brand/clients/brand-app', { settings: { branding: { [field]: value } } }),
    );
    expect(client.status).toBe(400);
  });

  it('answers / and /t/{tenant} with a page for a browser and the JSON 404 for a program', async () => {
    const page = await fetch(`${gh.url}/`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('Sign-in service');
    const tenantPage = await fetch(`${gh.url}/t/brand`, { headers: { accept: 'text/html', 'accept-language': 'en' } });
    expect(tenantPage.status).toBe(200);
    expect(await tenantPage.text()).toContain('Sign in to Brand Co');
    const json = await fetch(`${gh.url}/`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(await json.json()).toEqual({
      type: '/docs/errors#not_found',
      title: 'not_found',
      status: 404,
      detail: 'no route GET /',
    });
    expect((await fetch(`${gh.url}/t/brand`, { headers: { accept: 'application/json' } })).status).toBe(404);
    expect((await fetch(`${gh.url}/t/no-such-tenant`, { headers: { accept: 'text/html' } })).status).toBe(404);
  });
});

describe('brandOf', () => {
  it.each([
    '#ffcc00',
    '#ffffff',
    '#000000',
    '#2b5797',
    '#b4441f',
    '#0f0',
    '#777777',
  ])('keeps every text at 4.5:1 with primary %s', (primaryColor) => {
    const brand = brandOf({ name: 'T', branding: { primaryColor } });
    expect(brandIsReadable(brand)).toBe(true);
    expect(contrastRatio(brand.accent, '#ffffff')).toBeGreaterThanOrEqual(4.5);
  });

  it('lets the client override the tenant field by field', () => {
    const brand = brandOf(
      { name: 'Tenant', branding: { displayName: 'T', supportUrl: 'https://help.example/', primaryColor: '#b4441f' } },
      { name: 'Client', branding: { primaryColor: '#0b6e4f' } },
    );
    expect(brand).toMatchObject({ name: 'T', supportUrl: 'https://help.example/', primary: '#0b6e4f' });
  });
});
