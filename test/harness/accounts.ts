import type { ExternalProfile } from '../../src/connectors/connector.js';
import type { AccountIntent } from '../../src/core/accounts/outcomes.js';
import type { Core } from '../../src/core/index.js';
import type { Tenant } from '../../src/core/tenants/tenant.js';

/** A profile from the connection `idp` (also its kind), issued by `https://{idp}.example`. */
export const idpProfile = (idp: string, subject: string, email = 'linked@example.com'): ExternalProfile => ({
  idp,
  kind: idp,
  issuer: `https://${idp}.example`,
  subject,
  email,
  emailVerified: true,
  raw: {},
});

/**
 * A link intent for `userId`, with a fresh proof: an access token just issued to the user at the tenant's `-linker`
 * client (created on first use), verified as any surface verifies one. Each call makes a new proof.
 */
export const linkIntent = async (core: Core, tenant: Tenant, userId: string): Promise<AccountIntent> => {
  const clientId = `${tenant.id}-linker`;
  const client =
    (await core.clients.find(clientId)) ??
    (await core.clients.create(tenant.id, { clientId, name: 'linker', grantTypes: ['password'] })).client;
  const { accessToken } = await core.tokens.issueTokens({ tenant, client, userId, scope: [], refreshToken: false });
  return { kind: 'link', proof: await core.accounts.verifyLinkProof({ tenant, client, token: accessToken }) };
};

/**
 * A user who signed up with the first profile and linked the others, through `accounts.resolve` as a login would.
 * @returns the user's id
 */
export const userWithIdentities = async (
  core: Core,
  tenant: Tenant,
  [first, ...others]: readonly [ExternalProfile, ...ExternalProfile[]],
): Promise<string> => {
  const created = await core.accounts.resolve({
    tenant,
    profile: first,
    intent: { kind: 'signup' },
    connectionTrusted: false,
  });
  if (created.resolution.kind !== 'created') throw new Error(`expected a new user, got ${created.resolution.kind}`);
  const userId = created.resolution.user.id;
  for (const profile of others) {
    const linked = await core.accounts.resolve({
      tenant,
      profile,
      intent: await linkIntent(core, tenant, userId),
      connectionTrusted: false,
    });
    if (linked.resolution.kind !== 'linked') throw new Error(`expected a link, got ${linked.resolution.kind}`);
  }
  return userId;
};
