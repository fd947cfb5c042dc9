import type { ExternalProfile } from '../../src/connectors/connector.js';
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
      intent: { kind: 'link', userId },
      connectionTrusted: false,
    });
    if (linked.resolution.kind !== 'linked') throw new Error(`expected a link, got ${linked.resolution.kind}`);
  }
  return userId;
};
