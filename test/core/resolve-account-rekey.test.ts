import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExternalProfile } from '../../src/connectors/connector.js';
import type { Core } from '../../src/core/index.js';
import type { Tenant } from '../../src/core/tenants/tenant.js';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';

let gh: RunningGatehouse;
let core: Core;
let tenant: Tenant;

beforeAll(async () => {
  gh = await startGatehouse();
  core = gh.core;
  tenant = await core.tenants.create({ id: 'rekey', policies: { linking: 'merge_needed', mfa: 'off' } });
});
afterAll(async () => gh?.close());

const tid = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const oid = '00000000-0000-0000-66f3-3332eca7ea81';

/** A Microsoft profile: keyed by tid:oid since the pairwise sub stopped being the key. */
const microsoftProfile = (subject: string, formerSubjects?: string[]): ExternalProfile => ({
  idp: 'microsoft',
  kind: 'microsoft',
  issuer: `https://login.microsoftonline.com/${tid}/v2.0`,
  subject,
  ...(formerSubjects === undefined ? {} : { formerSubjects }),
  email: 'abe@contoso.example',
  emailVerified: true,
  raw: { tid, oid },
});

const identitiesOf = (userId: string) =>
  gh.storage.db.selectFrom('identities').select(['subject']).where('user_id', '=', userId).execute();

describe('accounts.resolve re-keys an identity stored under a former subject', () => {
  it('signs the same user in under tid:oid, re-keying the sub-keyed identity instead of creating another', async () => {
    const sub = 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ';
    const created = await core.accounts.resolve({
      tenant,
      profile: microsoftProfile(sub),
      intent: { kind: 'signup' },
      connectionTrusted: false,
    });
    if (created.resolution.kind !== 'created') throw new Error(`expected created, got ${created.resolution.kind}`);
    const userId = created.resolution.user.id;

    const next = await core.accounts.resolve({
      tenant,
      profile: microsoftProfile(`${tid}:${oid}`, [sub]),
      intent: { kind: 'login' },
      connectionTrusted: false,
    });

    expect(next.resolution).toMatchObject({ kind: 'logged_in', user: { id: userId } });
    expect(await identitiesOf(userId)).toEqual([{ subject: `${tid}:${oid}` }]);
    const again = await core.accounts.resolve({
      tenant,
      profile: microsoftProfile(`${tid}:${oid}`, [sub]),
      intent: { kind: 'login' },
      connectionTrusted: false,
    });
    expect(again.resolution).toMatchObject({ kind: 'logged_in', user: { id: userId } });
  });
});
