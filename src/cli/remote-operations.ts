import type { LockHolder } from '../lib/data-dir-lock.js';
import { CliError } from './cli-error.js';
import type { Output, StoreOperations, UserPage } from './operations.js';

/** The running server to send the CLI's operations to: the lock holder's admin URL and the admin token. */
export interface RunningServer {
  readonly holder: LockHolder & { readonly adminUrl: string };
  readonly adminToken: string;
}

interface Problem {
  readonly title?: unknown;
  readonly detail?: unknown;
}

/** A small admin API client: one JSON request, an RFC 9457 problem turned into the CLI's one-line refusal. */
const adminClient = ({ holder, adminToken }: RunningServer) => {
  const who = `the gatehouse serve holding the data directory (pid ${holder.pid}, ${holder.adminUrl})`;
  /** The response, unread; a refused token or no answer becomes the one-line refusal. */
  const send = async (method: string, path: string, body?: unknown): Promise<Response> => {
    let response: Response;
    try {
      response = await fetch(`${holder.adminUrl}/admin${path}`, {
        method,
        headers: {
          authorization: `Bearer ${adminToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown } }).cause?.code;
      throw new CliError(`${who} does not answer${typeof cause === 'string' ? ` (${cause})` : ''}`);
    }
    if (response.status === 401) throw new CliError(`${who} refused the admin token (GATEHOUSE_ADMIN_TOKEN)`);
    return response;
  };
  const call = async <T = Output>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await send(method, path, body);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new CliError(`${who} answered ${response.status} with a body that is not JSON`);
    }
    if (response.ok) return value as T;
    const { title, detail } = (value ?? {}) as Problem;
    throw new CliError(`${String(title ?? response.status)}: ${String(detail ?? response.statusText)}`);
  };
  /** A streamed body (a backup archive), chunk by chunk; a refusal read as JSON like `call`'s. */
  const stream = async function* (path: string): AsyncGenerator<Uint8Array> {
    const response = await send('GET', path);
    if (!response.ok || response.body === null) {
      await call('GET', path);
      throw new CliError(`${who} answered ${response.status}`);
    }
    const reader = response.body.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) yield chunk.value;
  };
  return { call, stream };
};

const enc = encodeURIComponent;
const items = (list: { items: Output[] }): Output[] => list.items;

/**
 * The CLI's operations sent to the admin API of the running `gatehouse serve` that holds the embedded store, so the
 * server sees each change at once and remains its only writer. Changes are audited as `admin`.
 */
export const remoteOperations = (server: RunningServer): StoreOperations => {
  const { call, stream } = adminClient(server);
  const tenantPath = (tenant: string) => `/tenants/${enc(tenant)}`;
  /** A user id, from an id or an email. @throws CliError `not_found` */
  const userId = async (tenant: string, user: string): Promise<string> => {
    if (!user.includes('@')) return user;
    const page = await call<{ items: { id: string }[] }>('GET', `${tenantPath(tenant)}/users?email=${enc(user)}`);
    const found = page.items[0];
    if (found === undefined) throw new CliError(`not_found: user ${JSON.stringify(user)} does not exist`);
    return found.id;
  };
  const userPath = async (tenant: string, user: string) =>
    `${tenantPath(tenant)}/users/${enc(await userId(tenant, user))}`;

  return {
    createTenant: (input) => call('POST', '/tenants', input),
    listTenants: async () => items(await call('GET', '/tenants')),
    showTenant: (id) => call('GET', tenantPath(id)),
    createClient: (tenant, input) => call('POST', `${tenantPath(tenant)}/clients`, input),
    listClients: async (tenant) => items(await call('GET', `${tenantPath(tenant)}/clients`)),
    rotateClientSecret: (tenant, clientId, graceSeconds = 0) =>
      call('POST', `${tenantPath(tenant)}/clients/${enc(clientId)}/rotate-secret`, { graceSeconds }),
    changeClientUrl: (tenant, clientId, list, change, url) => {
      const [path, member] = list === 'redirectUris' ? ['redirect-uris', 'uri'] : ['callback-urls', 'url'];
      const base = `${tenantPath(tenant)}/clients/${enc(clientId)}/${path}`;
      return change === 'add'
        ? call('POST', base, { [member]: url })
        : call('DELETE', `${base}?${new URLSearchParams({ [member]: url })}`);
    },
    setIdp: (tenant, id, input) => call('PUT', `${tenantPath(tenant)}/idps/${enc(id)}`, input),
    listIdps: async (tenant) => items(await call('GET', `${tenantPath(tenant)}/idps`)),
    removeIdp: (tenant, id) => call('DELETE', `${tenantPath(tenant)}/idps/${enc(id)}`),
    listUsers: async (tenant, { limit, after }) => {
      const query = new URLSearchParams({ limit: String(limit) });
      if (after !== undefined) query.set('after', await userId(tenant, after));
      return call<UserPage>('GET', `${tenantPath(tenant)}/users?${query}`);
    },
    showUser: async (tenant, user) => call('GET', await userPath(tenant, user)),
    setUserStatus: async (tenant, user, status) =>
      call('POST', `${await userPath(tenant, user)}/${status === 'disabled' ? 'disable' : 'enable'}`),
    unlinkIdentity: async (tenant, user, idp) => {
      const path = await userPath(tenant, user);
      await call('DELETE', `${path}/identities/${enc(idp)}`);
      return call('GET', path);
    },
    findUsers: (tenant, search, { limit, cursor }) => {
      const query = new URLSearchParams({ limit: String(limit) });
      if (search.kind === 'email') query.set('email', search.email);
      else if (search.kind === 'prefix') query.set('prefix', search.prefix);
      else query.set('q', search.text);
      if (cursor !== undefined) query.set('cursor', cursor);
      return call<UserPage>('GET', `${tenantPath(tenant)}/users?${query}`);
    },
    createUser: (tenant, input) => call('POST', `${tenantPath(tenant)}/users`, input),
    patchUser: async (tenant, user, patch) => call('PATCH', await userPath(tenant, user), patch),
    setUserPassword: async (tenant, user, password) =>
      call('POST', `${await userPath(tenant, user)}/password`, { password }),
    requirePasswordReset: async (tenant, user, required) =>
      call('POST', `${await userPath(tenant, user)}/require-password-reset`, { required }),
    resetUserMfa: async (tenant, user) => call('POST', `${await userPath(tenant, user)}/reset-mfa`),
    deleteUser: async (tenant, user) => {
      const id = await userId(tenant, user);
      await call('DELETE', `${tenantPath(tenant)}/users/${enc(id)}`);
      return { deleted: id };
    },
    listUserSessions: async (tenant, user) => items(await call('GET', `${await userPath(tenant, user)}/sessions`)),
    revokeUserSessions: async (tenant, user, sid) => {
      const path = `${await userPath(tenant, user)}/sessions`;
      if (sid !== undefined) {
        await call('DELETE', `${path}/${enc(sid)}`);
        return { ended: 1 };
      }
      return call('DELETE', path);
    },
    listKeys: async (tenant) => items(await call('GET', `${tenantPath(tenant)}/keys`)),
    rotateKeys: async (tenant) => items(await call('POST', `${tenantPath(tenant)}/keys/rotate`)),
    exportConfig: (tenant) => call('GET', tenant === undefined ? '/export' : `/export?tenant=${enc(tenant)}`),
    importConfig: (document) => call('POST', '/import', document),
    createAdminToken: (input) => call('POST', '/admin-tokens', input),
    listAdminTokens: async () => items(await call('GET', '/admin-tokens')),
    revokeAdminToken: (id) => call('DELETE', `/admin-tokens/${enc(id)}`),
    backup: () => stream('/backup'),
    restore: (archive) => call('POST', '/restore', archive),
  };
};
