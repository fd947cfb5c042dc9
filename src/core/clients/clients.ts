import { randomToken, sha256, verifySecretDigest } from '../../lib/crypto.js';
import { mergePatch, mergePatchSchema } from '../../lib/merge-patch.js';
import { createReadCache } from '../../lib/read-cache.js';
import { isUniqueViolation } from '../../store/database.js';
import { clientsRepo } from '../../store/repositories/clients.js';
import type { ClientRow } from '../../store/schema.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { parseInput } from '../validation.js';
import { type Client, ClientInput, ClientPatch, type ClientWithSecret, type GrantType } from './client.js';

/** The body of a client's merge patch (RFC 7396): what `ClientPatch` allows, each member nullable. */
export const ClientMergePatch = mergePatchSchema(ClientPatch);

/** The longest a rotated secret may stay valid beside the new one. */
export const maxSecretGraceSeconds = 30 * 24 * 60 * 60;

/** The lists of URLs of a client that can be changed one entry at a time. */
export type ClientUrlList = 'redirectUris' | 'callbackUrls';
const urlListColumn = { redirectUris: 'redirect_uris', callbackUrls: 'callback_urls' } as const;

export const toClient = (row: ClientRow): Client => ({
  clientId: row.client_id,
  tenantId: row.tenant_id,
  name: row.name,
  public: row.public,
  redirectUris: row.redirect_uris,
  callbackUrls: row.callback_urls,
  grantTypes: row.grant_types as GrantType[],
  settings: row.settings,
  createdAt: row.created_at,
});

// A digest no secret hashes to: compared against when the client is unknown, so timing does not reveal which ids exist.
const absentDigest = sha256(randomToken());

interface CacheEntry {
  readonly row: ClientRow | undefined;
  readonly client: Client | undefined;
}

/** How the client presented its credentials (RFC 6749 §2.3.1). */
export type ClientAuthentication =
  | {
      readonly method: 'client_secret_basic' | 'client_secret_post';
      readonly clientId: string;
      readonly clientSecret: string;
    }
  | { readonly method: 'none'; readonly clientId: string };

export interface ClientUseCasesOptions {
  /** Digest of an imported secret, used instead of generating one (import/export round trip). */
  readonly secretDigest?: string;
  /** A plaintext secret chosen by the operator (import), hashed before it is stored. */
  readonly clientSecret?: string;
}

/** Client administration and authentication. */
export const createClientUseCases = (deps: CoreDeps) => {
  // Clients are read on every token request; a short per-instance cache keeps that off the database, with the
  // client built once per entry (Client is immutable). Writes clear it here; other instances see a change within two
  // seconds. A cache hit returns without waiting on a promise.
  const cache = createReadCache<CacheEntry>({
    ttlMs: 2000,
    now: () => deps.clock.now().getTime(),
    load: async (clientId) => {
      const row = await clientsRepo.find(deps.db, clientId);
      return { row, client: row === undefined ? undefined : toClient(row) };
    },
  });

  const find = async (clientId: string): Promise<Client | undefined> => (await cache.get(clientId)).client;

  return {
    find,
    /** @throws GatehouseError `not_found` when the client is not in this tenant. */
    require: async (tenantId: string, clientId: string): Promise<Client> => {
      const client = await find(clientId);
      if (client === undefined || client.tenantId !== tenantId)
        throw new GatehouseError(
          'not_found',
          `client ${JSON.stringify(clientId)} does not exist in tenant ${tenantId}`,
        );
      return client;
    },
    list: async (tenantId: string): Promise<Client[]> =>
      (await clientsRepo.listByTenant(deps.db, tenantId)).map(toClient),

    /**
     * Creates a client. Confidential clients get a generated 256-bit secret, returned here once and stored only as its
     * SHA-256 digest.
     * @throws GatehouseError `invalid_request`, `conflict` (client id taken), `not_found` (tenant)
     */
    create: async (
      tenantId: string,
      input: unknown,
      options: ClientUseCasesOptions = {},
    ): Promise<ClientWithSecret> => {
      const parsed = parseInput(ClientInput, input, 'client');
      const isPublic = parsed.public ?? false;
      const clientSecret =
        isPublic || options.secretDigest !== undefined ? undefined : (options.clientSecret ?? randomToken(32));
      const digest = isPublic ? null : (options.secretDigest ?? sha256(clientSecret as string));
      try {
        const row = await clientsRepo.insert(deps.db, {
          client_id: parsed.clientId ?? randomToken(18),
          tenant_id: tenantId,
          name: parsed.name ?? parsed.clientId ?? 'client',
          secret_digest: digest,
          public: isPublic,
          redirect_uris: parsed.redirectUris ?? [],
          callback_urls: parsed.callbackUrls ?? [],
          grant_types:
            parsed.grantTypes ??
            (isPublic
              ? ['authorization_code', 'refresh_token']
              : ['authorization_code', 'refresh_token', 'client_credentials']),
          settings: parsed.settings ?? {},
        });
        cache.delete(row.client_id);
        const client = toClient(row);
        return clientSecret === undefined || options.clientSecret !== undefined ? { client } : { client, clientSecret };
      } catch (error) {
        if (isUniqueViolation(error)) throw new GatehouseError('conflict', `client ${parsed.clientId} already exists`);
        if ((error as { code?: string }).code === '23503')
          throw new GatehouseError('not_found', `tenant ${tenantId} does not exist`);
        throw error;
      }
    },

    /** @throws GatehouseError `invalid_request`, `not_found` */
    update: async (tenantId: string, clientId: string, input: unknown): Promise<Client> => {
      const patch = parseInput(ClientPatch, input, 'client');
      const current = await clientsRepo.find(deps.db, clientId);
      if (current === undefined || current.tenant_id !== tenantId)
        throw new GatehouseError(
          'not_found',
          `client ${JSON.stringify(clientId)} does not exist in tenant ${tenantId}`,
        );
      const row = await clientsRepo.update(deps.db, clientId, {
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.redirectUris === undefined ? {} : { redirect_uris: patch.redirectUris }),
        ...(patch.callbackUrls === undefined ? {} : { callback_urls: patch.callbackUrls }),
        ...(patch.grantTypes === undefined ? {} : { grant_types: patch.grantTypes }),
        ...(patch.settings === undefined ? {} : { settings: patch.settings }),
      });
      cache.delete(clientId);
      return toClient(row ?? current);
    },

    /**
     * Changes a client by an RFC 7396 merge patch: members absent are kept, `null` removes one (a list goes back to
     * empty), `settings` is merged member by member, a list given is the new list. The result is validated whole.
     * @throws GatehouseError `invalid_request`, `not_found`
     */
    mergePatch: async (tenantId: string, clientId: string, input: unknown): Promise<Client> => {
      const patch = parseInput(ClientMergePatch, input, 'client');
      const current = await clientsRepo.find(deps.db, clientId);
      if (current === undefined || current.tenant_id !== tenantId)
        throw new GatehouseError(
          'not_found',
          `client ${JSON.stringify(clientId)} does not exist in tenant ${tenantId}`,
        );
      const base = {
        name: current.name,
        redirectUris: current.redirect_uris,
        callbackUrls: current.callback_urls,
        grantTypes: current.grant_types,
        settings: current.settings,
      };
      const merged = mergePatch(base, patch) as Record<string, unknown>;
      const next = parseInput(ClientPatch, merged, 'client');
      const row = await clientsRepo.update(deps.db, clientId, {
        name: next.name ?? current.client_id,
        redirect_uris: next.redirectUris ?? [],
        callback_urls: next.callbackUrls ?? [],
        grant_types: next.grantTypes ?? [],
        settings: next.settings ?? {},
      });
      cache.delete(clientId);
      return toClient(row ?? current);
    },

    /**
     * Adds one URL to a client's redirect URIs or callback URLs (nothing changes when it is there already), or removes
     * one, in a transaction that holds the client's row, so two changes at once both count.
     * @throws GatehouseError `invalid_request` (not a URL a client may have), `not_found` (client, or the URL to remove)
     */
    changeUrl: async (
      tenantId: string,
      clientId: string,
      list: ClientUrlList,
      change: 'add' | 'remove',
      url: string,
    ): Promise<Client> => {
      const itemSchema = ClientInput.properties[list].items;
      if (change === 'add') parseInput(itemSchema, url, `client.${list}`);
      const row = await deps.db.transaction().execute(async (trx) => {
        const current = await clientsRepo.findForUpdate(trx, clientId);
        if (current === undefined || current.tenant_id !== tenantId)
          throw new GatehouseError(
            'not_found',
            `client ${JSON.stringify(clientId)} does not exist in tenant ${tenantId}`,
          );
        const column = urlListColumn[list];
        const urls = current[column];
        if (change === 'add' && urls.includes(url)) return current;
        if (change === 'remove' && !urls.includes(url))
          throw new GatehouseError('not_found', `${JSON.stringify(url)} is not one of the client's ${list}`);
        const updated = change === 'add' ? [...urls, url] : urls.filter((u) => u !== url);
        return (await clientsRepo.update(trx, clientId, { [column]: updated })) ?? current;
      });
      cache.delete(clientId);
      return toClient(row);
    },

    /**
     * Replaces a confidential client's secret. The old one stays valid for `graceSeconds` more (0: it stops working
     * at once), so that the client's deployments can move to the new one; a further rotation ends an earlier grace.
     * @throws `not_found`, `invalid_request`
     */
    rotateSecret: async (tenantId: string, clientId: string, graceSeconds = 0): Promise<ClientWithSecret> => {
      if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > maxSecretGraceSeconds)
        throw new GatehouseError('invalid_request', `graceSeconds: an integer from 0 to ${maxSecretGraceSeconds}`);
      const current = await clientsRepo.find(deps.db, clientId);
      if (current === undefined || current.tenant_id !== tenantId)
        throw new GatehouseError(
          'not_found',
          `client ${JSON.stringify(clientId)} does not exist in tenant ${tenantId}`,
        );
      if (current.public) throw new GatehouseError('invalid_request', 'a public client has no secret');
      const clientSecret = randomToken(32);
      const keepPrevious = graceSeconds > 0 && current.secret_digest !== null;
      const row = await clientsRepo.update(deps.db, clientId, {
        secret_digest: sha256(clientSecret),
        previous_secret_digest: keepPrevious ? current.secret_digest : null,
        previous_secret_expires_at: keepPrevious ? new Date(deps.clock.now().getTime() + graceSeconds * 1000) : null,
      });
      cache.delete(clientId);
      return { client: toClient(row ?? current), clientSecret };
    },

    remove: async (tenantId: string, clientId: string): Promise<void> => {
      const current = await clientsRepo.find(deps.db, clientId);
      if (current === undefined || current.tenant_id !== tenantId)
        throw new GatehouseError(
          'not_found',
          `client ${JSON.stringify(clientId)} does not exist in tenant ${tenantId}`,
        );
      await clientsRepo.delete(deps.db, clientId);
      cache.delete(clientId);
    },

    /** The stored secret digest (export only). */
    secretDigest: async (clientId: string): Promise<string | null | undefined> =>
      (await cache.get(clientId)).row?.secret_digest,

    /**
     * Authenticates a client (RFC 6749 §2.3): confidential clients by secret (constant-time against the stored digest),
     * public clients by id alone. With `tenantId`, a client of another tenant fails the same way as an unknown one.
     * @throws GatehouseError `invalid_client`
     */
    authenticate: async (auth: ClientAuthentication, tenantId?: string): Promise<Client> => {
      const { row, client } = await cache.get(auth.clientId);
      const inTenant = client !== undefined && (tenantId === undefined || client.tenantId === tenantId);
      if (auth.method === 'none') {
        if (inTenant && client.public) return client;
        throw new GatehouseError('invalid_client', 'client authentication failed');
      }
      const digest = inTenant ? row?.secret_digest : undefined;
      const current = verifySecretDigest(auth.clientSecret, typeof digest === 'string' ? digest : absentDigest);
      // A rotated secret in its grace: compared every time (against a digest nothing hashes to when there is none), so
      // the timing says nothing about whether a grace is running.
      const previous = inTenant ? row?.previous_secret_digest : undefined;
      const inGrace =
        typeof previous === 'string' &&
        row?.previous_secret_expires_at != null &&
        row.previous_secret_expires_at > deps.clock.now();
      const old = verifySecretDigest(auth.clientSecret, inGrace ? previous : absentDigest);
      if ((current || (old && inGrace)) && inTenant && !client.public) return client;
      throw new GatehouseError('invalid_client', 'client authentication failed');
    },
  };
};

export type ClientUseCases = ReturnType<typeof createClientUseCases>;

/** RFC 6749 §3.1.2 / RFC 9700 §4.1.3: redirect URIs are compared exactly, character for character. */
export const isRegisteredRedirectUri = (client: Client, redirectUri: string): boolean =>
  client.redirectUris.includes(redirectUri);
