import { describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/registry.js';
import {
  consumerTenant,
  contosoTenant,
  fabrikamTenant,
  microsoftJwks,
  microsoftKey,
  microsoftPayload,
  msClientId,
} from './fixtures/microsoft.js';
import { productionDeps, providerFetch, secondsOf } from './fixtures/provider-fetch.js';
import { aConnection, expectConnectorError } from './support.js';

/** Microsoft at login.microsoftonline.com: no emulator, no endpoint override. */
const setup = async (options: { tenant?: string; keyTenant?: string; trustEmail?: boolean } = {}) => {
  const tenant = options.tenant ?? 'common';
  const key = await microsoftKey(options.keyTenant);
  const provider = providerFetch([microsoftJwks(tenant, key.jwk)]);
  const { deps } = productionDeps(provider.fetch);
  const connector = createConnector(
    aConnection('microsoft', { clientId: msClientId, settings: { tenant }, trustEmail: options.trustEmail ?? false }),
    deps,
  );
  return { key, connector, now: secondsOf(deps) };
};

describe('microsoft connector at https://login.microsoftonline.com', () => {
  it('keys the identity by tid and oid, and names the pairwise sub as its former subject', async () => {
    const { key, connector, now } = await setup();
    const profile = await connector.verifyToken({
      kind: 'id_token',
      value: await key.sign(microsoftPayload(now, contosoTenant)),
    });
    expect(profile).toMatchObject({
      issuer: `https://login.microsoftonline.com/${contosoTenant}/v2.0`,
      subject: `${contosoTenant}:00000000-0000-0000-66f3-3332eca7ea81`,
      formerSubjects: ['AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ'],
    });
  });

  it('keeps sub as the key when the token has no oid', async () => {
    const { key, connector, now } = await setup();
    const payload = { ...microsoftPayload(now, contosoTenant), oid: undefined };
    const profile = await connector.verifyToken({ kind: 'id_token', value: await key.sign(payload) });
    expect(profile.subject).toBe('AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ');
    expect(profile.formerSubjects).toBeUndefined();
  });

  it("refuses a token whose iss is not the issuer its signing key names (the key's {tenantid} filled with tid)", async () => {
    const { key, connector, now } = await setup({ keyTenant: fabrikamTenant });
    const error = await expectConnectorError(
      connector.verifyToken({ kind: 'id_token', value: await key.sign(microsoftPayload(now, contosoTenant)) }),
      'invalid_token',
    );
    expect(error.message).toContain('issuer');
  });

  it('does not count a personal account email as verified when nothing in the token vouches for it', async () => {
    const { key, connector, now } = await setup({ trustEmail: true });
    const profile = await connector.verifyToken({
      kind: 'id_token',
      value: await key.sign(microsoftPayload(now, consumerTenant, { email: 'abe@outlook.example' })),
    });
    expect(profile).toMatchObject({ email: 'abe@outlook.example', emailVerified: false });
  });

  it('counts the email as verified when Microsoft says the domain owner verified it (xms_edov)', async () => {
    const { key, connector, now } = await setup();
    const profile = await connector.verifyToken({
      kind: 'id_token',
      value: await key.sign(microsoftPayload(now, contosoTenant, { xms_edov: true })),
    });
    expect(profile.emailVerified).toBe(true);
  });
});
