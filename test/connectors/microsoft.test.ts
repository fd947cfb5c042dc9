import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/connectors/connector.js';
import { createConnector } from '../../src/connectors/registry.js';
import { consumerTenantId, emulatedOrgTenantId, objectIdOf } from '../../src/emulator/index.js';
import { type EmulatorHarness, startEmulator } from '../harness/emulator.js';
import { oidcConnectorSuite } from './oidc-suite.js';
import { aConnection, anUpstreamRequest, expectConnectorError, testDeps } from './support.js';

let idp: EmulatorHarness;
beforeAll(async () => {
  idp = await startEmulator();
  await idp.registerApp({ provider: 'microsoft', clientId: 'gatehouse-web', clientSecret: 'test-secret' });
});
afterAll(async () => {
  await idp.close();
});

oidcConnectorSuite({
  kind: 'microsoft',
  idp: () => idp,
  pkce: true,
  subjectOf: (sub) => `${emulatedOrgTenantId}:${objectIdOf(sub)}`,
  foreignIssuer: () => ({ issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' }),
});

const otherTenantId = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

const connector = (tenant: string, overrides: Partial<ConnectionConfig> = {}) =>
  createConnector(aConnection('microsoft', { emulator: idp.url, settings: { tenant }, ...overrides }), testDeps().deps);

const mint = (sub: string, body: { email?: string; emailVerified?: boolean; tid?: string; iss?: string } = {}) =>
  idp.mint('microsoft', {
    clientId: 'gatehouse-web',
    sub,
    ...(body.email === undefined ? {} : { email: body.email }),
    ...(body.emailVerified === undefined ? {} : { emailVerified: body.emailVerified }),
    claims: { tid: body.tid ?? emulatedOrgTenantId, ...(body.iss === undefined ? {} : { iss: body.iss }) },
  });

describe('microsoft connector: email verification (nOAuth)', () => {
  it('returns the email as unverified when a work account has an email claim without xms_edov', async () => {
    const { id_token } = await mint('m-1', { email: 'ceo@victim.example', emailVerified: false });
    const profile = await connector('common', { trustEmail: true }).verifyToken({
      kind: 'id_token',
      value: String(id_token),
    });
    expect(profile).toMatchObject({ email: 'ceo@victim.example', emailVerified: false });
    expect(profile.raw.xms_edov).toBeUndefined();
  });

  it('returns the email as unverified in the redirect flow when the work account email is unverified', async () => {
    const c = connector('organizations', { trustEmail: true });
    const request = anUpstreamRequest();
    const profile = await c.completeAuthorization(await idp.signIn(await c.authorizationUrl(request), 'bob'), request);
    expect(profile).toMatchObject({ email: 'bob@example.com', emailVerified: false });
  });

  it('returns the email as verified when the domain owner verified it (xms_edov)', async () => {
    const { id_token } = await mint('m-2', { email: 'alice@contoso.example', emailVerified: true });
    const profile = await connector('common').verifyToken({ kind: 'id_token', value: String(id_token) });
    expect(profile).toMatchObject({
      email: 'alice@contoso.example',
      emailVerified: true,
      issuer: `${idp.url}/microsoft/${emulatedOrgTenantId}/v2.0`,
    });
  });

  it('returns the email as unverified when a personal account signs in, since nothing in its token vouches for it', async () => {
    const c = connector('consumers', { trustEmail: true });
    const request = anUpstreamRequest();
    const profile = await c.completeAuthorization(await idp.signIn(await c.authorizationUrl(request), 'dave'), request);
    expect(profile).toMatchObject({ email: 'dave@outlook.example', emailVerified: false });
    expect(profile.raw.tid).toBe(consumerTenantId);
  });

  it('trusts the email when the connection is bound to one tenant and trusts its emails', async () => {
    const { id_token } = await mint('m-3', { email: 'x@contoso.example', emailVerified: false, tid: otherTenantId });
    const profile = await connector(otherTenantId, { trustEmail: true }).verifyToken({
      kind: 'id_token',
      value: String(id_token),
    });
    expect(profile.emailVerified).toBe(true);
  });
});

describe('microsoft connector: tenants and issuers', () => {
  it('rejects a personal account when the connection admits organizations only', async () => {
    const { id_token } = await mint('m-4', { tid: consumerTenantId });
    await expectConnectorError(
      connector('organizations').verifyToken({ kind: 'id_token', value: String(id_token) }),
      'invalid_token',
    );
  });

  it('rejects a work account when the connection admits personal accounts only', async () => {
    const { id_token } = await mint('m-5');
    await expectConnectorError(
      connector('consumers').verifyToken({ kind: 'id_token', value: String(id_token) }),
      'invalid_token',
    );
  });

  it('rejects a token of another directory when the connection is bound to one tenant', async () => {
    const { id_token } = await mint('m-6', { tid: emulatedOrgTenantId });
    await expectConnectorError(
      connector(otherTenantId).verifyToken({ kind: 'id_token', value: String(id_token) }),
      'invalid_token',
    );
  });

  it('rejects a token when its issuer names another tenant than its tid', async () => {
    const { id_token } = await mint('m-7', { iss: `${idp.url}/microsoft/${otherTenantId}/v2.0` });
    const error = await expectConnectorError(
      connector('common').verifyToken({ kind: 'id_token', value: String(id_token) }),
      'invalid_token',
    );
    expect(error.message).toContain('issuer');
  });

  it('puts the tenant in the authorization URL', async () => {
    const url = await connector('organizations').authorizationUrl(anUpstreamRequest());
    expect(url.pathname).toBe('/microsoft/organizations/oauth2/v2.0/authorize');
  });

  it('refuses a tenant setting that is neither a keyword nor a directory id', () => {
    expect(() => connector('contoso.onmicrosoft.com')).toThrowError(/tenant/);
  });
});
