import { isDeepStrictEqual } from 'node:util';
import { sql } from 'kysely';
import { constantTimeEqual, hashPassword, sha256, verifyPassword } from '../../lib/crypto.js';
import { type DbExecutor, withoutRequestBounds } from '../../store/database.js';
import { clientsRepo } from '../../store/repositories/clients.js';
import { connectionsRepo } from '../../store/repositories/connections.js';
import { tenantsRepo } from '../../store/repositories/tenants.js';
import { usersRepo } from '../../store/repositories/users.js';
import type { UserUpdate } from '../../store/schema.js';
import type { AuditLog } from '../audit/events.js';
import { createClientUseCases } from '../clients/clients.js';
import { createConnectionUseCases } from '../connections/connections.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { connectorKinds } from '../strategies/upstream/connector-errors.js';
import { createTenantUseCases } from '../tenants/tenants.js';
import { normaliseEmail } from '../users/email.js';
import { createUserUseCases } from '../users/users.js';
import { parseInput } from '../validation.js';
import { checkDocument } from './check-document.js';
import {
  ConfigDocument,
  type DocumentClient,
  type DocumentIdp,
  type DocumentTenant,
  type DocumentUser,
  type ImportResult,
} from './document.js';

type Outcome = 'created' | 'updated' | 'unchanged';
type Secret = ImportResult['secrets'][number];

/** Drops the keys whose value is undefined (the core's inputs are exact). */
const defined = <T extends Record<string, unknown>>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;

/** The use-cases bound to one transaction, plus the transaction for the reads they do not offer. */
const within = (deps: CoreDeps, trx: DbExecutor) => {
  const scoped: CoreDeps = { ...deps, db: trx as CoreDeps['db'] };
  return {
    trx,
    deps: scoped,
    tenants: createTenantUseCases(scoped),
    clients: createClientUseCases(scoped),
    connections: createConnectionUseCases(scoped),
    users: createUserUseCases(scoped),
  };
};
type Scope = ReturnType<typeof within>;

const applyTenant = async (scope: Scope, tenant: DocumentTenant): Promise<Outcome> => {
  const row = await tenantsRepo.find(scope.trx, tenant.id);
  if (row === undefined) {
    await scope.tenants.create(
      defined({ id: tenant.id, name: tenant.name, policies: tenant.policies, hostnames: tenant.hostnames }),
    );
    return 'created';
  }
  const patch = defined({
    name: tenant.name !== undefined && tenant.name !== row.name ? tenant.name : undefined,
    policies:
      tenant.policies !== undefined && !isDeepStrictEqual({ ...row.policies, ...tenant.policies }, row.policies)
        ? tenant.policies
        : undefined,
    hostnames:
      tenant.hostnames !== undefined && !isDeepStrictEqual(tenant.hostnames, row.hostnames)
        ? tenant.hostnames
        : undefined,
  });
  if (Object.keys(patch).length === 0) return 'unchanged';
  await scope.tenants.update(tenant.id, patch);
  return 'updated';
};

const applyClient = async (
  scope: Scope,
  tenantId: string,
  client: DocumentClient,
  path: string,
  secrets: Secret[],
): Promise<Outcome> => {
  const row = await clientsRepo.find(scope.trx, client.clientId);
  const fields = defined({
    name: client.name,
    redirectUris: client.redirectUris,
    callbackUrls: client.callbackUrls,
    grantTypes: client.grantTypes,
    settings: client.settings,
  });
  if (row === undefined) {
    const options =
      client.clientSecretDigest !== undefined
        ? { secretDigest: client.clientSecretDigest }
        : client.clientSecret !== undefined
          ? { clientSecret: client.clientSecret }
          : {};
    const created = await scope.clients.create(
      tenantId,
      { clientId: client.clientId, ...defined({ public: client.public }), ...fields },
      options,
    );
    if (created.clientSecret !== undefined)
      secrets.push({ tenant: tenantId, clientId: client.clientId, clientSecret: created.clientSecret });
    return 'created';
  }
  if (row.tenant_id !== tenantId)
    throw new GatehouseError('conflict', `${path}.clientId: client ${client.clientId} belongs to another tenant`);
  if (client.public !== undefined && client.public !== row.public)
    throw new GatehouseError(
      'invalid_request',
      `${path}.public: an existing client cannot change between public and confidential; delete it first`,
    );
  const current = {
    name: row.name,
    redirectUris: row.redirect_uris,
    callbackUrls: row.callback_urls,
    grantTypes: row.grant_types,
    settings: row.settings,
  };
  const patch = Object.fromEntries(
    Object.entries(fields).filter(([key, value]) => !isDeepStrictEqual(value, current[key as keyof typeof current])),
  );
  const digest =
    client.clientSecretDigest ?? (client.clientSecret === undefined ? undefined : sha256(client.clientSecret));
  const newDigest = digest !== undefined && !row.public && digest !== row.secret_digest;
  if (Object.keys(patch).length === 0 && !newDigest) return 'unchanged';
  if (Object.keys(patch).length > 0) await scope.clients.update(tenantId, client.clientId, patch);
  if (newDigest) await clientsRepo.update(scope.trx, client.clientId, { secret_digest: digest });
  return 'updated';
};

const applyIdp = async (scope: Scope, tenantId: string, idp: DocumentIdp, path: string): Promise<Outcome> => {
  const row = await connectionsRepo.find(scope.trx, tenantId, idp.id);
  const givesSecret = idp.clientSecret !== undefined || idp.clientSecretEncrypted !== undefined;
  if (
    !givesSecret &&
    (row?.client_secret_enc ?? null) === null &&
    connectorKinds.definition(idp.kind).requiresClientSecret
  )
    throw new GatehouseError('invalid_request', `${path}: a ${idp.kind} connection needs clientSecret`);
  if (row !== undefined) {
    const { open } = scope.deps.secretBox;
    const sameSecret =
      !givesSecret ||
      (row.client_secret_enc !== null &&
        (idp.clientSecretEncrypted === row.client_secret_enc ||
          constantTimeEqual(
            open(row.client_secret_enc),
            idp.clientSecret ?? open(idp.clientSecretEncrypted as string),
          )));
    const same =
      sameSecret &&
      row.kind === idp.kind &&
      row.client_id === idp.clientId &&
      isDeepStrictEqual(row.scopes, idp.scopes ?? null) &&
      isDeepStrictEqual(row.endpoints, idp.endpoints ?? null) &&
      row.emulator === (idp.emulator ?? null) &&
      row.trust_email === (idp.trustEmail ?? false) &&
      // Stored settings carry the kind's defaults (validateConnectionSettings): compare like with like.
      isDeepStrictEqual(row.settings, connectorKinds.validateSettings(idp.kind, idp.settings ?? {}));
    if (same) return 'unchanged';
  }
  await scope.connections.set(tenantId, idp);
  return row === undefined ? 'created' : 'updated';
};

const applyUser = async (scope: Scope, tenantId: string, user: DocumentUser): Promise<Outcome> => {
  const email = normaliseEmail(user.email);
  const row = await usersRepo.findByEmail(scope.trx, tenantId, email);
  if (row === undefined) {
    const { status, ...input } = user;
    const created = await scope.users.create(tenantId, defined({ ...input, email }), scope.deps.db);
    if (status === 'disabled') await usersRepo.update(scope.trx, tenantId, created.id, { status });
    return 'created';
  }
  const patch: UserUpdate = {};
  if (user.emailVerified !== undefined && user.emailVerified !== row.email_verified)
    patch.email_verified = user.emailVerified;
  if (user.firstName !== undefined && user.firstName !== row.first_name) patch.first_name = user.firstName;
  if (user.lastName !== undefined && user.lastName !== row.last_name) patch.last_name = user.lastName;
  if (user.displayName !== undefined && user.displayName !== row.display_name) patch.display_name = user.displayName;
  if (user.status !== undefined && user.status !== row.status) patch.status = user.status;
  if (user.passwordHash !== undefined && user.passwordHash !== row.password_hash)
    patch.password_hash = user.passwordHash;
  // A plaintext password is re-hashed only when it differs: argon2 salts, so hashing again would be a change.
  if (
    user.password !== undefined &&
    (row.password_hash === null || !(await verifyPassword(row.password_hash, user.password)))
  )
    patch.password_hash = await hashPassword(user.password);
  if (Object.keys(patch).length === 0) return 'unchanged';
  await usersRepo.update(scope.trx, tenantId, row.id, patch);
  return 'updated';
};

const counts = () => ({ created: 0, updated: 0, unchanged: 0 });

/**
 * Applies a configuration document: creates what is missing, updates what differs, leaves the rest (and anything the
 * document does not mention) alone, so applying it twice changes nothing. Runs in one transaction under an advisory
 * lock, so instances importing the same file at start do not race; a failure writes nothing. With `atStart`, the
 * import is not bound by the request timeouts (`databaseTimeoutMs`): an instance of a fleet starting together waits for
 * another's import of the same file as long as that takes.
 * @returns per-kind counts, and the secrets generated for new confidential clients given without one (shown once).
 * @throws GatehouseError `invalid_request` (naming the entry), `conflict` (a client id of another tenant)
 */
export const importConfig = async (
  deps: CoreDeps,
  audit: AuditLog,
  input: unknown,
  options: { actor?: string; atStart?: boolean } = {},
): Promise<ImportResult> => {
  const document = parseInput(ConfigDocument, input, 'document');
  checkDocument(deps, document);
  const result = { tenants: counts(), clients: counts(), idps: counts(), users: counts() };
  const secrets: Secret[] = [];
  const perTenant: { tenantId: string; changed: number }[] = [];
  const apply = () =>
    deps.db.transaction().execute(async (trx) => {
      if (options.atStart === true)
        await sql`select set_config('statement_timeout', '0', true), set_config('lock_timeout', '0', true)`.execute(
          trx,
        );
      await sql`select pg_advisory_xact_lock(hashtext('gatehouse-import'))`.execute(trx);
      const scope = within(deps, trx);
      for (const [ti, tenant] of document.tenants.entries()) {
        const outcomes: Outcome[] = [];
        const tenantOutcome = await applyTenant(scope, tenant);
        result.tenants[tenantOutcome] += 1;
        outcomes.push(tenantOutcome);
        for (const [ci, client] of (tenant.clients ?? []).entries()) {
          const outcome = await applyClient(scope, tenant.id, client, `document.tenants.${ti}.clients.${ci}`, secrets);
          result.clients[outcome] += 1;
          outcomes.push(outcome);
        }
        for (const [ii, idp] of (tenant.idps ?? []).entries()) {
          const outcome = await applyIdp(scope, tenant.id, idp, `document.tenants.${ti}.idps.${ii}`);
          result.idps[outcome] += 1;
          outcomes.push(outcome);
        }
        for (const user of tenant.users ?? []) {
          const outcome = await applyUser(scope, tenant.id, user);
          result.users[outcome] += 1;
          outcomes.push(outcome);
        }
        perTenant.push({ tenantId: tenant.id, changed: outcomes.filter((o) => o !== 'unchanged').length });
      }
    });
  await (options.atStart === true ? withoutRequestBounds(apply) : apply());
  for (const { tenantId, changed } of perTenant)
    if (changed > 0)
      audit.record({
        type: 'config.imported',
        outcome: 'success',
        tenantId,
        actor: options.actor ?? 'system',
        details: { changed },
      });
  return { ...result, secrets };
};
