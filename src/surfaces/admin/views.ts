import type { AdminToken } from '../../core/admin-tokens/admin-tokens.js';
import type { Client, ClientWithSecret } from '../../core/clients/client.js';
import type { ConnectionView } from '../../core/connections/connection.js';
import type { SigningKeyView } from '../../core/keys/signing-keys.js';
import type { SessionSummary } from '../../core/sessions/sessions.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import type { Identity, User } from '../../core/users/user.js';
import { describeUserAgent } from '../../lib/user-agent.js';
import { canonicalCallbackUrl } from '../shared/callback-path.js';

// Domain objects → the JSON the admin API returns (dates as RFC 3339 strings). Secrets have no way in here except
// the one-time `clientSecret` of a create or rotation.

const iso = (date: Date): string => date.toISOString();
const isoOrNull = (date: Date | null): string | null => (date === null ? null : date.toISOString());

export const tenantView = (t: Tenant) => ({
  id: t.id,
  name: t.name,
  policies: t.policies,
  hostnames: t.hostnames,
  createdAt: iso(t.createdAt),
});

export const clientView = (c: Client) => ({
  clientId: c.clientId,
  tenantId: c.tenantId,
  name: c.name,
  public: c.public,
  redirectUris: c.redirectUris,
  callbackUrls: c.callbackUrls,
  grantTypes: c.grantTypes,
  settings: c.settings,
  createdAt: iso(c.createdAt),
});

export const clientWithSecretView = ({ client, clientSecret }: ClientWithSecret) => ({
  ...clientView(client),
  ...(clientSecret === undefined ? {} : { clientSecret }),
});

/** A connection, with the callback URL to register at its provider (`canonicalCallbackUrl`). */
export const idpView = (publicUrl: string, tenantId: string) => (c: ConnectionView) => ({
  ...c,
  callbackUrl: canonicalCallbackUrl(publicUrl, tenantId, c.id),
});

export const userView = (u: User) => ({
  id: u.id,
  tenantId: u.tenantId,
  email: u.email,
  emailVerified: u.emailVerified,
  hasPassword: u.hasPassword,
  firstName: u.firstName,
  lastName: u.lastName,
  displayName: u.displayName,
  profile: u.profile,
  status: u.status,
  passwordResetRequired: u.passwordResetRequired,
  createdAt: iso(u.createdAt),
  updatedAt: iso(u.updatedAt),
});

export const identityView = (i: Identity) => ({
  id: i.id,
  idp: i.idp,
  issuer: i.issuer,
  subject: i.subject,
  email: i.email,
  emailVerified: i.emailVerified,
  createdAt: iso(i.createdAt),
  lastLoginAt: isoOrNull(i.lastLoginAt),
});

export const keyView = (k: SigningKeyView) => ({
  kid: k.kid,
  alg: k.alg,
  state: k.state,
  createdAt: iso(k.createdAt),
  activatedAt: isoOrNull(k.activatedAt),
  retiredAt: isoOrNull(k.retiredAt),
});

export interface AuditRow {
  readonly id: string;
  readonly type: string;
  readonly outcome: string;
  readonly actor: string | null;
  readonly client_id: string | null;
  readonly idp: string | null;
  readonly user_id: string | null;
  readonly ip: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly created_at: Date;
}

export const auditEventView = (e: AuditRow) => ({
  id: String(e.id),
  type: e.type,
  outcome: e.outcome,
  actor: e.actor,
  clientId: e.client_id,
  idp: e.idp,
  userId: e.user_id,
  ip: e.ip,
  details: e.details,
  createdAt: iso(e.created_at),
});

export const adminTokenView = (t: AdminToken) => ({
  id: t.id,
  name: t.name,
  tenant: t.tenantId,
  scopes: [...t.scopes],
  createdAt: iso(t.createdAt),
  revokedAt: isoOrNull(t.revokedAt),
});

export const sessionView = (session: SessionSummary) => {
  const device = describeUserAgent(session.userAgent);
  return {
    sid: session.sid,
    browser: device.browser ?? null,
    os: device.os ?? null,
    mobile: device.mobile,
    userAgent: session.userAgent,
    ip: session.ip,
    createdAt: iso(session.createdAt),
    lastSeenAt: iso(session.lastSeenAt),
    authTime: iso(session.authTime),
    expiresAt: iso(session.expiresAt),
  };
};
