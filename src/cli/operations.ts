import type { App } from '../compose.js';
import type { AdminToken } from '../core/admin-tokens/admin-tokens.js';
import type { AuditEvent } from '../core/audit/events.js';
import type { ClientWithSecret } from '../core/clients/client.js';
import type { ConnectionView } from '../core/connections/connection.js';
import { GatehouseError } from '../core/errors.js';
import type { SessionSummary } from '../core/sessions/sessions.js';
import type { Identity, User } from '../core/users/user.js';
import type { UserSearch } from '../core/users/user-care.js';
import { describeUserAgent } from '../lib/user-agent.js';
import { canonicalCallbackUrl } from '../surfaces/shared/callback-path.js';

/** Records a command-line admin action in the audit trail, attributed to `cli`. */
const recordCliEvent = (app: App, event: Omit<AuditEvent, 'actor' | 'outcome'>): void =>
  app.core.audit.record({ ...event, outcome: 'success', actor: 'cli' });

/** A JSON value as the CLI prints it. */
export type Output = unknown;

export interface UserPage {
  readonly items: readonly Output[];
  readonly next: string | null;
}

/**
 * What the CLI does to a store, whichever way it reaches it: in this process (`localOperations`), or through the admin
 * API of the `gatehouse serve` that holds the embedded store (`remoteOperations`). Both give the same JSON.
 * Users are named by id or email.
 */
export interface StoreOperations {
  createTenant(input: Record<string, unknown>): Promise<Output>;
  listTenants(): Promise<Output[]>;
  showTenant(id: string): Promise<Output>;
  createClient(tenant: string, input: Record<string, unknown>): Promise<Output>;
  listClients(tenant: string): Promise<Output[]>;
  /** Rotates a client's secret; the old one keeps working for `graceSeconds` (0: stops at once). */
  rotateClientSecret(tenant: string, clientId: string, graceSeconds?: number): Promise<Output>;
  /** Adds or removes one redirect URI or callback URL of a client. */
  changeClientUrl(
    tenant: string,
    clientId: string,
    list: 'redirectUris' | 'callbackUrls',
    change: 'add' | 'remove',
    url: string,
  ): Promise<Output>;
  setIdp(tenant: string, id: string, input: Record<string, unknown>): Promise<Output>;
  listIdps(tenant: string): Promise<Output[]>;
  removeIdp(tenant: string, id: string): Promise<void>;
  listUsers(tenant: string, page: { readonly limit: number; readonly after?: string }): Promise<UserPage>;
  /** The user with their linked `identities`. */
  showUser(tenant: string, user: string): Promise<Output>;
  setUserStatus(tenant: string, user: string, status: 'active' | 'disabled'): Promise<Output>;
  /** Unlinks and returns the user with the identities left. */
  unlinkIdentity(tenant: string, user: string, idp: string): Promise<Output>;
  /** Users by email prefix or by a part of their email or name, a page at a time (`next` is the cursor). */
  findUsers(
    tenant: string,
    search: UserSearch,
    page: { readonly limit: number; readonly cursor?: string },
  ): Promise<UserPage>;
  createUser(tenant: string, input: Record<string, unknown>): Promise<Output>;
  /** Changes a user by an RFC 7396 merge patch. */
  patchUser(tenant: string, user: string, patch: unknown): Promise<Output>;
  setUserPassword(tenant: string, user: string, password: string): Promise<Output>;
  requirePasswordReset(tenant: string, user: string, required: boolean): Promise<Output>;
  /** Removes every second factor of the user: `{ removed }`. */
  resetUserMfa(tenant: string, user: string): Promise<Output>;
  /** Deletes the user and everything theirs: `{ deleted: id }`. */
  deleteUser(tenant: string, user: string): Promise<Output>;
  listUserSessions(tenant: string, user: string): Promise<Output[]>;
  /** Ends one session (`sid`) or, without one, every session of the user: `{ ended }`. */
  revokeUserSessions(tenant: string, user: string, sid?: string): Promise<Output>;
  listKeys(tenant: string): Promise<Output[]>;
  rotateKeys(tenant: string): Promise<Output[]>;
  exportConfig(tenant?: string): Promise<Output>;
  importConfig(document: unknown): Promise<Output>;
  /** Creates an admin token: its view (as the admin API shows it) and, once, the `token`. */
  createAdminToken(input: Record<string, unknown>): Promise<Output>;
  listAdminTokens(): Promise<Output[]>;
  revokeAdminToken(id: string): Promise<Output>;
  /** The store as a backup archive (docs/operations.md), a chunk at a time. */
  backup(): AsyncIterable<string | Uint8Array>;
  /** Restores an archive into the (empty) store. */
  restore(archive: unknown): Promise<Output>;
}

/** A client and, on create or rotation, its secret (shown once), flattened like the admin API's response. */
const withSecret = ({ client, clientSecret }: ClientWithSecret) => ({
  ...client,
  ...(clientSecret === undefined ? {} : { clientSecret }),
});

/** An admin token as the admin API shows it (never its digest). */
const adminTokenOutput = (t: AdminToken) => ({
  id: t.id,
  name: t.name,
  tenant: t.tenantId,
  scopes: [...t.scopes],
  createdAt: t.createdAt.toISOString(),
  revokedAt: t.revokedAt?.toISOString() ?? null,
});

/** A session as the admin API shows it: the browser and system read from its user agent. */
const sessionOutput = (session: SessionSummary) => {
  const device = describeUserAgent(session.userAgent);
  return {
    sid: session.sid,
    browser: device.browser ?? null,
    os: device.os ?? null,
    mobile: device.mobile,
    userAgent: session.userAgent,
    ip: session.ip,
    createdAt: session.createdAt.toISOString(),
    lastSeenAt: session.lastSeenAt.toISOString(),
    authTime: session.authTime.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
  };
};

/** An identity as the admin API shows it (its user is the one it is listed under). */
const identityOutput = ({ userId: _userId, ...identity }: Identity) => identity;

/** The operations run in this process on a store it opened (and holds). Changes are audited as `cli`. */
export const localOperations = (app: App): StoreOperations => {
  const { core } = app;
  const tenantOf = async (id: string) => (await core.tenants.require(id)).id;
  // The URL to register at the provider, as the admin API shows it.
  const withCallbackUrl = (tenantId: string) => (connection: ConnectionView) => ({
    ...connection,
    callbackUrl: canonicalCallbackUrl(core.settings.publicUrl, tenantId, connection.id),
  });
  /** @throws GatehouseError `not_found` */
  const findUser = async (tenantId: string, idOrEmail: string): Promise<User> => {
    const user = idOrEmail.includes('@')
      ? await core.users.findByEmail(tenantId, idOrEmail)
      : await core.users.find(tenantId, idOrEmail);
    if (user === undefined) throw new GatehouseError('not_found', `user ${JSON.stringify(idOrEmail)} does not exist`);
    return user;
  };
  const userWithIdentities = async (user: User) => ({
    ...user,
    identities: (await core.users.identities(user.id)).map(identityOutput),
  });

  return {
    createTenant: async (input) => {
      const created = await core.tenants.create(input);
      recordCliEvent(app, { type: 'tenant.created', tenantId: created.id });
      return created;
    },
    listTenants: () => core.tenants.list(),
    showTenant: (id) => core.tenants.require(id),
    createClient: async (tenant, input) => {
      const tenantId = await tenantOf(tenant);
      const created = await core.clients.create(tenantId, input);
      recordCliEvent(app, { type: 'client.created', tenantId, clientId: created.client.clientId });
      return withSecret(created);
    },
    listClients: async (tenant) => core.clients.list(await tenantOf(tenant)),
    rotateClientSecret: async (tenant, clientId, graceSeconds = 0) => {
      const tenantId = await tenantOf(tenant);
      const rotated = await core.clients.rotateSecret(tenantId, clientId, graceSeconds);
      recordCliEvent(app, { type: 'client.secret_rotated', tenantId, clientId, details: { graceSeconds } });
      return withSecret(rotated);
    },
    changeClientUrl: async (tenant, clientId, list, change, url) => {
      const tenantId = await tenantOf(tenant);
      const client = await core.clients.changeUrl(tenantId, clientId, list, change, url);
      recordCliEvent(app, {
        type: 'client.updated',
        tenantId,
        clientId,
        details: { [change === 'add' ? 'added' : 'removed']: { [list]: url } },
      });
      return client;
    },
    setIdp: async (tenant, id, input) => {
      const tenantId = await tenantOf(tenant);
      const connection = await core.connections.set(tenantId, { id, ...input });
      recordCliEvent(app, { type: 'connection.set', tenantId, idp: connection.id });
      return withCallbackUrl(tenantId)(connection);
    },
    listIdps: async (tenant) => {
      const tenantId = await tenantOf(tenant);
      return (await core.connections.list(tenantId)).map(withCallbackUrl(tenantId));
    },
    removeIdp: async (tenant, id) => {
      const tenantId = await tenantOf(tenant);
      await core.connections.remove(tenantId, id);
      recordCliEvent(app, { type: 'connection.removed', tenantId, idp: id });
    },
    listUsers: async (tenant, { limit, after }) => {
      const tenantId = await tenantOf(tenant);
      const start = after === undefined ? undefined : await findUser(tenantId, after);
      const items = await core.users.list(tenantId, { limit, ...(start === undefined ? {} : { after: start }) });
      const last = items.at(-1);
      return { items, next: items.length === limit && last !== undefined ? last.id : null };
    },
    showUser: async (tenant, user) => userWithIdentities(await findUser(await tenantOf(tenant), user)),
    setUserStatus: async (tenant, user, status) => {
      const tenantId = await tenantOf(tenant);
      const found = await findUser(tenantId, user);
      const updated = await core.users.setStatus(tenantId, found.id, status);
      recordCliEvent(app, {
        type: status === 'disabled' ? 'user.disabled' : 'user.enabled',
        tenantId,
        userId: found.id,
      });
      return updated;
    },
    unlinkIdentity: async (tenant, user, idp) => {
      const tenantId = await tenantOf(tenant);
      const found = await findUser(tenantId, user);
      await core.accounts.unlink(tenantId, found.id, idp, 'cli');
      return userWithIdentities(found);
    },
    findUsers: async (tenant, search, { limit, cursor }) => {
      const page = await core.userCare.search(await tenantOf(tenant), search, {
        limit,
        ...(cursor === undefined ? {} : { cursor }),
      });
      return { items: page.users, next: page.next ?? null };
    },
    createUser: async (tenant, input) => {
      const tenantId = await tenantOf(tenant);
      const user = await core.users.create(tenantId, input);
      recordCliEvent(app, { type: 'user.created', tenantId, userId: user.id });
      return user;
    },
    patchUser: async (tenant, user, patch) => {
      const tenantId = await tenantOf(tenant);
      const found = await findUser(tenantId, user);
      const updated = await core.userCare.patch(tenantId, found.id, patch);
      const fields = typeof patch === 'object' && patch !== null ? Object.keys(patch) : [];
      recordCliEvent(app, { type: 'user.updated', tenantId, userId: found.id, details: { fields } });
      return updated;
    },
    setUserPassword: async (tenant, user, password) => {
      const tenantId = await tenantOf(tenant);
      const found = await findUser(tenantId, user);
      const updated = await core.userCare.setPassword(tenantId, found.id, password);
      recordCliEvent(app, { type: 'user.password_set', tenantId, userId: found.id });
      return updated;
    },
    requirePasswordReset: async (tenant, user, required) => {
      const tenantId = await tenantOf(tenant);
      const found = await findUser(tenantId, user);
      const updated = await core.userCare.requirePasswordReset(tenantId, found.id, required);
      recordCliEvent(app, { type: 'user.password_reset_required', tenantId, userId: found.id, details: { required } });
      return updated;
    },
    resetUserMfa: async (tenant, user) => {
      const tenantId = await tenantOf(tenant);
      const found = await findUser(tenantId, user);
      const removed = await core.userCare.resetMfa(tenantId, found.id);
      recordCliEvent(app, { type: 'user.mfa_reset', tenantId, userId: found.id, details: { removed } });
      return { removed };
    },
    deleteUser: async (tenant, user) => {
      const tenantId = await tenantOf(tenant);
      const found = await findUser(tenantId, user);
      await core.userCare.remove(tenantId, found.id);
      recordCliEvent(app, { type: 'user.deleted', tenantId, userId: found.id });
      return { deleted: found.id };
    },
    listUserSessions: async (tenant, user) => {
      const tenantId = await tenantOf(tenant);
      const found = await findUser(tenantId, user);
      return (await core.sessions.listOfUser(tenantId, found.id)).map(sessionOutput);
    },
    revokeUserSessions: async (tenant, user, sid) => {
      const tenantId = await tenantOf(tenant);
      const found = await findUser(tenantId, user);
      if (sid === undefined) {
        const ended = await core.sessions.revokeAll(tenantId, found.id);
        recordCliEvent(app, { type: 'session.revoked', tenantId, userId: found.id, details: { all: true, ended } });
        return { ended };
      }
      if (!(await core.sessions.revoke(tenantId, found.id, sid)))
        throw new GatehouseError('not_found', `session ${JSON.stringify(sid)} does not exist`);
      recordCliEvent(app, { type: 'session.revoked', tenantId, userId: found.id, details: { sid } });
      return { ended: 1 };
    },
    listKeys: async (tenant) => core.keys.list(await tenantOf(tenant)),
    rotateKeys: async (tenant) => {
      const tenantId = await tenantOf(tenant);
      const rotated = await core.keys.rotate(tenantId);
      recordCliEvent(app, {
        type: 'keys.rotated',
        tenantId,
        details: { active: rotated.find((k) => k.state === 'active')?.kid },
      });
      return rotated;
    },
    exportConfig: (tenant) => core.configIo.exportConfig(tenant === undefined ? {} : { tenants: [tenant] }),
    importConfig: (document) => core.configIo.importConfig(document, { actor: 'cli' }),
    createAdminToken: async (input) => {
      const { token, adminToken } = await core.adminTokens.create(input, { actor: 'cli' });
      return { ...adminTokenOutput(adminToken), token };
    },
    listAdminTokens: async () => (await core.adminTokens.list()).map(adminTokenOutput),
    revokeAdminToken: async (id) => adminTokenOutput(await core.adminTokens.revoke(id, { actor: 'cli' })),
    backup: () => core.backup.take({ actor: 'cli' }),
    restore: (archive) => core.backup.restore(archive, { actor: 'cli' }),
  };
};
