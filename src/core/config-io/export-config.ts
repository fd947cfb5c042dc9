import { clientsRepo } from '../../store/repositories/clients.js';
import { connectionsRepo } from '../../store/repositories/connections.js';
import { tenantsRepo } from '../../store/repositories/tenants.js';
import type { ClientRow, IdpConnectionRow, TenantRow, UserRow } from '../../store/schema.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import type { ConfigDocument, DocumentClient, DocumentIdp, DocumentTenant, DocumentUser } from './document.js';

const exportClient = (row: ClientRow): DocumentClient => ({
  clientId: row.client_id,
  name: row.name,
  public: row.public,
  ...(row.secret_digest === null ? {} : { clientSecretDigest: row.secret_digest }),
  redirectUris: row.redirect_uris,
  callbackUrls: row.callback_urls,
  grantTypes: row.grant_types as NonNullable<DocumentClient['grantTypes']>,
  settings: row.settings as NonNullable<DocumentClient['settings']>,
});

const exportIdp = (row: IdpConnectionRow): DocumentIdp => ({
  id: row.id,
  kind: row.kind as DocumentIdp['kind'],
  clientId: row.client_id,
  ...(row.client_secret_enc === null ? {} : { clientSecretEncrypted: row.client_secret_enc }),
  ...(row.scopes === null ? {} : { scopes: row.scopes }),
  ...(row.endpoints === null ? {} : { endpoints: row.endpoints }),
  ...(row.emulator === null ? {} : { emulator: row.emulator }),
  trustEmail: row.trust_email,
  settings: row.settings,
});

const exportUser = (row: UserRow & { email: string }): DocumentUser => ({
  email: row.email,
  ...(row.password_hash === null ? {} : { passwordHash: row.password_hash }),
  emailVerified: row.email_verified,
  ...(row.first_name === null ? {} : { firstName: row.first_name }),
  ...(row.last_name === null ? {} : { lastName: row.last_name }),
  ...(row.display_name === null ? {} : { displayName: row.display_name }),
  status: row.status,
});

/**
 * Every user of a tenant that has an email, by email, 500 at a time. Keyset on the email itself (unique per tenant,
 * users_tenant_email_uq), so no page boundary can repeat or skip a user.
 */
const usersWithEmail = async (deps: CoreDeps, tenantId: string): Promise<(UserRow & { email: string })[]> => {
  const all: (UserRow & { email: string })[] = [];
  for (let after: string | undefined; ; ) {
    let query = deps.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('email', 'is not', null);
    if (after !== undefined) query = query.where('email', '>', after);
    const page = (await query.orderBy('email').limit(500).execute()) as (UserRow & { email: string })[];
    all.push(...page);
    after = page.at(-1)?.email;
    if (page.length < 500) return all;
  }
};

const exportTenant = async (deps: CoreDeps, row: TenantRow): Promise<DocumentTenant> => ({
  id: row.id,
  name: row.name,
  policies: row.policies as NonNullable<DocumentTenant['policies']>,
  hostnames: row.hostnames,
  clients: (await clientsRepo.listByTenant(deps.db, row.id)).map(exportClient),
  idps: (await connectionsRepo.listByTenant(deps.db, row.id)).map(exportIdp),
  users: (await usersWithEmail(deps, row.id)).map(exportUser),
});

/**
 * Writes the configuration as a document `importConfig` accepts: tenants, clients (secret as its SHA-256 digest),
 * IdP connections (secret sealed with the master key) and users with an email (password as its argon2id hash).
 * Signing keys, identities and the audit trail are not configuration and are left out. Entries are in a stable order
 * (ids; users by email), so two exports of the same configuration are equal.
 * @throws GatehouseError `not_found` for an unknown tenant in `options.tenants`.
 */
export const exportConfig = async (
  deps: CoreDeps,
  options: { tenants?: readonly string[] } = {},
): Promise<ConfigDocument> => {
  let rows: TenantRow[];
  if (options.tenants === undefined) rows = await tenantsRepo.list(deps.db);
  else {
    rows = [];
    for (const id of options.tenants) {
      const row = await tenantsRepo.find(deps.db, id);
      if (row === undefined) throw new GatehouseError('not_found', `tenant ${JSON.stringify(id)} does not exist`);
      rows.push(row);
    }
  }
  const tenants: DocumentTenant[] = [];
  for (const row of rows) tenants.push(await exportTenant(deps, row));
  return { version: 1, tenants };
};
