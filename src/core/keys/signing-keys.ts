import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject, sign } from 'node:crypto';
import { promisify } from 'node:util';
import { sql, type Transaction } from 'kysely';
import { newOpaqueId } from '../../lib/ids.js';
import type { DbExecutor } from '../../store/database.js';
import { keysRepo } from '../../store/repositories/keys.js';
import type { Database, SigningKeyRow } from '../../store/schema.js';
import type { CoreDeps } from '../deps.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** A published public key (RFC 7517 JWK). */
export interface PublicJwk {
  readonly kid: string;
  readonly kty: string;
  readonly alg: string;
  readonly use: 'sig';
  readonly [member: string]: unknown;
}

export interface SigningKeyView {
  readonly kid: string;
  readonly alg: string;
  readonly state: 'next' | 'active' | 'retired';
  readonly createdAt: Date;
  readonly activatedAt: Date | null;
  readonly retiredAt: Date | null;
}

interface TenantKeys {
  readonly active: { kid: string; privateKey: KeyObject };
  readonly publicKeys: Map<string, KeyObject>;
  readonly jwks: { keys: PublicJwk[] };
  /** JWKS serialised once: served as is. */
  readonly jwksJson: string;
  readonly loadedAt: number;
}

/**
 * How long a retired key stays published. It must outlive every token it signed: the longest access/ID token
 * lifetime (24 h at most) plus clock skew.
 */
const retiredKeyLifetimeMs = 25 * 60 * 60 * 1000;
/** How long one instance trusts its in-memory copy of a tenant's keys; a rotation elsewhere is seen within this. */
const cacheMs = 5000;

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** Encoded JOSE headers by `kid` and `typ`: the same few for every token a key signs. */
const headers = new Map<string, string>();
const headerOf = (kid: string, typ: string): string => {
  const key = `${kid} ${typ}`;
  let header = headers.get(key);
  if (header === undefined) {
    header = b64url(JSON.stringify({ alg: 'ES256', typ, kid }));
    if (headers.size >= 1000) headers.clear();
    headers.set(key, header);
  }
  return header;
};

/** ES256 over `input` (JWS R || S), computed on libuv's thread pool rather than on the event loop. */
const signOffLoop = (input: Buffer, key: KeyObject): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, (error, signature) =>
      error === null ? resolve(signature) : reject(error),
    );
  });

/**
 * Per-tenant ES256 signing keys. States: `next` (published, not yet signing) → `active` (signs) → `retired`
 * (published until its tokens expire). Private keys are sealed with the master key. Signing uses `node:crypto` on a
 * cached KeyObject (the JWS bytes are standard; `jose` verifies them).
 */
export const createSigningKeyUseCases = (deps: CoreDeps) => {
  const cache = new Map<string, TenantKeys>();
  const loading = new Map<string, Promise<TenantKeys>>();

  const newKey = async (tenantId: string, state: 'next' | 'active') => {
    const { publicKey, privateKey } = await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
    const kid = newOpaqueId();
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
    return {
      kid,
      tenant_id: tenantId,
      alg: 'ES256',
      state,
      public_jwk: jwk,
      private_key_enc: deps.secretBox.seal(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string),
      activated_at: state === 'active' ? deps.clock.now() : null,
    };
  };

  /**
   * The tenant's keys, creating the active and next keys of a tenant that has none (serialised per tenant with an
   * advisory lock). Reads and writes through `db`: inside a transaction the keys are created in it, so that nothing
   * waits for a second connection while the transaction holds one. `created` says that this call wrote them.
   */
  const ensure = async (tenantId: string, db: DbExecutor = deps.db) => {
    const rows = await keysRepo.listByTenant(db, tenantId);
    if (rows.some((r) => r.state === 'active')) return { rows, created: false };
    const active = await newKey(tenantId, 'active');
    const next = await newKey(tenantId, 'next');
    const create = async (trx: Transaction<Database>): Promise<boolean> => {
      await sql`select pg_advisory_xact_lock(hashtext(${`gatehouse-keys:${tenantId}`}))`.execute(trx);
      const again = await keysRepo.listByTenant(trx, tenantId);
      if (again.some((r) => r.state === 'active')) return false;
      await keysRepo.insert(trx, active);
      await keysRepo.insert(trx, next);
      return true;
    };
    const created = db.isTransaction
      ? await create(db as Transaction<Database>)
      : await deps.db.transaction().execute(create);
    return { rows: await keysRepo.listByTenant(db, tenantId), created };
  };

  const toTenantKeys = (tenantId: string, rows: readonly SigningKeyRow[]): TenantKeys => {
    const now = deps.clock.now().getTime();
    const published = rows.filter(
      (r) => r.state !== 'retired' || (r.retired_at !== null && now - r.retired_at.getTime() < retiredKeyLifetimeMs),
    );
    const activeRow = rows.find((r) => r.state === 'active');
    if (activeRow === undefined) throw new Error(`tenant ${tenantId} has no active signing key`);
    const publicKeys = new Map(
      published.map((r) => [r.kid, createPublicKey({ key: r.public_jwk as never, format: 'jwk' })]),
    );
    const jwks = { keys: published.map((r) => r.public_jwk as unknown as PublicJwk) };
    return {
      active: { kid: activeRow.kid, privateKey: createPrivateKey(deps.secretBox.open(activeRow.private_key_enc)) },
      publicKeys,
      jwks,
      jwksJson: JSON.stringify(jwks),
      loadedAt: now,
    };
  };

  const load = async (tenantId: string): Promise<TenantKeys> => {
    const keys = toTenantKeys(tenantId, (await ensure(tenantId)).rows);
    cache.set(tenantId, keys);
    return keys;
  };

  /** Keys created inside a transaction that has not committed yet: used by that transaction only, never cached. */
  const uncommitted = new WeakMap<DbExecutor, Map<string, TenantKeys>>();

  /**
   * Loads a tenant's keys through an open transaction (no cached copy on this instance). Keys that other transactions
   * committed are cached as usual; keys this transaction creates stay with it until it commits (a rollback takes them
   * away, and no other request may sign with them before).
   */
  const loadWithin = async (tenantId: string, trx: DbExecutor): Promise<TenantKeys> => {
    const pending = uncommitted.get(trx)?.get(tenantId);
    if (pending !== undefined) return pending;
    const { rows, created } = await ensure(tenantId, trx);
    const keys = toTenantKeys(tenantId, rows);
    if (!created) {
      cache.set(tenantId, keys);
      return keys;
    }
    const ofTrx = uncommitted.get(trx) ?? new Map<string, TenantKeys>();
    ofTrx.set(tenantId, keys);
    uncommitted.set(trx, ofTrx);
    return keys;
  };

  const refresh = (tenantId: string): Promise<TenantKeys> => {
    let pending = loading.get(tenantId);
    if (pending === undefined) {
      pending = load(tenantId).finally(() => loading.delete(tenantId));
      loading.set(tenantId, pending);
    }
    return pending;
  };

  /**
   * The tenant's keys. A stale copy is served while a refresh runs in the background, so signing never waits for the
   * database once a tenant's keys were loaded. Without a copy, `db` loads them: inside a transaction that is the
   * transaction itself, never a second connection (which a pool of one, or the embedded store, does not have while
   * the transaction holds the first: the request would wait for itself).
   */
  const current = (tenantId: string, db: DbExecutor = deps.db): Promise<TenantKeys> | TenantKeys => {
    const hit = cache.get(tenantId);
    if (hit === undefined) return db.isTransaction ? loadWithin(tenantId, db) : refresh(tenantId);
    if (deps.clock.now().getTime() - hit.loadedAt >= cacheMs) {
      refresh(tenantId).catch((error: unknown) =>
        deps.log.warn({ err: error, tenant: tenantId }, 'keys.refresh_failed'),
      );
    }
    return hit;
  };

  return {
    /**
     * Loads the tenant's keys if this instance has none yet. Before a transaction that will sign, this keeps the key
     * creation of a new tenant out of it (signing inside one stays safe without it: see `signJwt`'s `db`).
     */
    warm: async (tenantId: string): Promise<void> => {
      await current(tenantId);
    },
    /**
     * The tenant's serialised JWKS when this instance holds it (a stale copy starts a refresh, as `jwksJson` does),
     * else undefined: lets the JWKS endpoint answer without a promise on the common path.
     */
    cachedJwksJson: (tenantId: string): string | undefined =>
      cache.has(tenantId) ? (current(tenantId) as TenantKeys).jwksJson : undefined,
    /** The tenant's JWKS as a serialised string (served byte for byte; cached per instance). */
    jwksJson: async (tenantId: string): Promise<string> => (await current(tenantId)).jwksJson,
    jwks: async (tenantId: string): Promise<{ keys: PublicJwk[] }> => (await current(tenantId)).jwks,

    /**
     * Signs a JWT with the tenant's active key: ES256 over `header.payload`, `kid` set.
     * @param typ JOSE `typ` header, e.g. `at+jwt` (RFC 9068) or `JWT`.
     * @param db the transaction the signature belongs to, if any: keys not yet loaded are read (or created) in it.
     */
    signJwt: async (
      tenantId: string,
      payload: Record<string, unknown>,
      typ = 'JWT',
      db: DbExecutor = deps.db,
    ): Promise<string> => {
      const { active } = await current(tenantId, db);
      const input = `${headerOf(active.kid, typ)}.${b64url(JSON.stringify(payload))}`;
      const signature = await signOffLoop(Buffer.from(input), active.privateKey);
      return `${input}.${signature.toString('base64url')}`;
    },

    /** The public key of `kid` if the tenant publishes it (for verifying our own tokens). */
    publicKey: async (tenantId: string, kid: string): Promise<KeyObject | undefined> => {
      const keys = await current(tenantId);
      const key = keys.publicKeys.get(kid);
      if (key !== undefined) return key;
      // A key rotated on another instance since our cache was filled.
      if (deps.clock.now().getTime() - keys.loadedAt < 200) return undefined;
      return (await load(tenantId)).publicKeys.get(kid);
    },

    list: async (tenantId: string): Promise<SigningKeyView[]> =>
      (await ensure(tenantId)).rows.map((r) => ({
        kid: r.kid,
        alg: r.alg,
        state: r.state,
        createdAt: r.created_at,
        activatedAt: r.activated_at,
        retiredAt: r.retired_at,
      })),

    /**
     * Rotates a tenant's keys: the published `next` key starts signing, the active one retires (still published until
     * its tokens expire), and a new `next` is published. Retired keys past their lifetime are dropped.
     */
    rotate: async (tenantId: string): Promise<SigningKeyView[]> => {
      await ensure(tenantId);
      const fresh = await newKey(tenantId, 'next');
      const now = deps.clock.now();
      await deps.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext(${`gatehouse-keys:${tenantId}`}))`.execute(trx);
        const rows = await keysRepo.listByTenant(trx, tenantId);
        const active = rows.find((r) => r.state === 'active');
        const next = rows.find((r) => r.state === 'next');
        if (active !== undefined) await keysRepo.setState(trx, active.kid, 'retired', now);
        if (next !== undefined) await keysRepo.setState(trx, next.kid, 'active', now);
        await keysRepo.insert(trx, next === undefined ? { ...fresh, state: 'active', activated_at: now } : fresh);
        await keysRepo.deleteRetiredBefore(trx, tenantId, new Date(now.getTime() - retiredKeyLifetimeMs));
      });
      cache.delete(tenantId);
      await load(tenantId);
      return (await keysRepo.listByTenant(deps.db, tenantId)).map((r) => ({
        kid: r.kid,
        alg: r.alg,
        state: r.state,
        createdAt: r.created_at,
        activatedAt: r.activated_at,
        retiredAt: r.retired_at,
      }));
    },
  };
};

export type SigningKeyUseCases = ReturnType<typeof createSigningKeyUseCases>;
