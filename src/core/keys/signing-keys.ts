import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { newOpaqueId } from '../../lib/ids.js';
import type { DbExecutor } from '../../store/database.js';
import { keysRepo } from '../../store/repositories/keys.js';
import type { Database, SigningKeyRow } from '../../store/schema.js';
import type { CoreDeps } from '../deps.js';
import {
  accessTokenAlgorithm,
  generateSigningKeyPair,
  type SigningAlgorithm,
  signingAlgorithms,
  signingInput,
  signOffLoop,
} from './algorithms.js';

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

/** A key that signs: its `kid` and what `crypto.sign` takes, built once when the tenant's keys are loaded. */
interface ActiveKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly signWith: ReturnType<typeof signingInput>;
}

interface TenantKeys {
  /** One active key per algorithm. */
  readonly active: Readonly<Record<SigningAlgorithm, ActiveKey>>;
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

/** Encoded JOSE headers by `kid` and `typ`: the same few for every token a key signs (a `kid` has one `alg`). */
const headers = new Map<string, string>();
const headerOf = ({ kid, alg }: ActiveKey, typ: string): string => {
  const key = `${kid} ${typ}`;
  let header = headers.get(key);
  if (header === undefined) {
    header = b64url(JSON.stringify({ alg, typ, kid }));
    if (headers.size >= 1000) headers.clear();
    headers.set(key, header);
  }
  return header;
};

const stateRank = { active: 0, next: 1, retired: 2 } as const;
const algRank = (alg: string): number => {
  const rank = (signingAlgorithms as readonly string[]).indexOf(alg);
  return rank < 0 ? signingAlgorithms.length : rank;
};

/** Keys in the order they are listed and published: oldest first; of one moment, by algorithm, then active first. */
const inOrder = (rows: readonly SigningKeyRow[]): SigningKeyRow[] =>
  [...rows].sort(
    (a, b) =>
      a.created_at.getTime() - b.created_at.getTime() ||
      algRank(a.alg) - algRank(b.alg) ||
      stateRank[a.state] - stateRank[b.state],
  );

const toViews = (rows: readonly SigningKeyRow[]): SigningKeyView[] =>
  inOrder(rows).map((r) => ({
    kid: r.kid,
    alg: r.alg,
    state: r.state,
    createdAt: r.created_at,
    activatedAt: r.activated_at,
    retiredAt: r.retired_at,
  }));

const missingAlgorithms = (rows: readonly SigningKeyRow[]): SigningAlgorithm[] =>
  signingAlgorithms.filter((alg) => !rows.some((r) => r.state === 'active' && r.alg === alg));

/**
 * Per-tenant signing keys, one of each algorithm of `signingAlgorithms` (RS256 and ES256), created and rotated
 * together. States: `next` (published, not yet signing) → `active` (signs) → `retired` (published until its tokens
 * expire). Private keys are sealed with the master key. Signing uses `node:crypto` on a cached KeyObject, off the event
 * loop (the JWS bytes are standard; `jose` verifies them). A tenant that lacks an algorithm's key (one created before
 * that algorithm was added) gets it the first time its keys are loaded, as a new tenant gets all of them.
 */
export const createSigningKeyUseCases = (deps: CoreDeps) => {
  const cache = new Map<string, TenantKeys>();
  const loading = new Map<string, Promise<TenantKeys>>();

  const newKey = async (tenantId: string, alg: SigningAlgorithm, state: 'next' | 'active') => {
    const { publicKey, privateKey } = await generateSigningKeyPair(alg);
    const kid = newOpaqueId();
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
    return {
      kid,
      tenant_id: tenantId,
      alg,
      state,
      public_jwk: jwk,
      private_key_enc: deps.secretBox.seal(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string),
      activated_at: state === 'active' ? deps.clock.now() : null,
    };
  };

  /**
   * The tenant's keys, creating the active and next keys of each algorithm the tenant has no active key of (serialised
   * per tenant with an advisory lock). Reads and writes through `db`: inside a transaction the keys are created in it,
   * so that nothing waits for a second connection while the transaction holds one. `created` says that this call wrote
   * them.
   */
  const ensure = async (tenantId: string, db: DbExecutor = deps.db) => {
    const rows = await keysRepo.listByTenant(db, tenantId);
    const missing = missingAlgorithms(rows);
    if (missing.length === 0) return { rows, created: false };
    const pairs = await Promise.all(
      missing.map(async (alg) => ({
        alg,
        active: await newKey(tenantId, alg, 'active'),
        next: await newKey(tenantId, alg, 'next'),
      })),
    );
    const create = async (trx: Transaction<Database>): Promise<boolean> => {
      await sql`select pg_advisory_xact_lock(hashtext(${`gatehouse-keys:${tenantId}`}))`.execute(trx);
      const stillMissing = missingAlgorithms(await keysRepo.listByTenant(trx, tenantId));
      const toCreate = pairs.filter((p) => stillMissing.includes(p.alg));
      for (const { active, next } of toCreate) {
        await keysRepo.insert(trx, active);
        await keysRepo.insert(trx, next);
      }
      return toCreate.length > 0;
    };
    const created = db.isTransaction
      ? await create(db as Transaction<Database>)
      : await deps.db.transaction().execute(create);
    return { rows: await keysRepo.listByTenant(db, tenantId), created };
  };

  const toTenantKeys = (tenantId: string, rows: readonly SigningKeyRow[]): TenantKeys => {
    const now = deps.clock.now().getTime();
    const published = inOrder(rows).filter(
      (r) => r.state !== 'retired' || (r.retired_at !== null && now - r.retired_at.getTime() < retiredKeyLifetimeMs),
    );
    const activeKey = (alg: SigningAlgorithm): ActiveKey => {
      const row = rows.find((r) => r.state === 'active' && r.alg === alg);
      if (row === undefined) throw new Error(`tenant ${tenantId} has no active ${alg} signing key`);
      return {
        kid: row.kid,
        alg,
        signWith: signingInput(alg, createPrivateKey(deps.secretBox.open(row.private_key_enc))),
      };
    };
    const active = Object.fromEntries(signingAlgorithms.map((alg) => [alg, activeKey(alg)])) as Record<
      SigningAlgorithm,
      ActiveKey
    >;
    const publicKeys = new Map(
      published.map((r) => [r.kid, createPublicKey({ key: r.public_jwk as never, format: 'jwk' })]),
    );
    const jwks = { keys: published.map((r) => r.public_jwk as unknown as PublicJwk) };
    return {
      active,
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
     * Signs a JWT with the tenant's active key of `alg` over `header.payload`, `kid` set.
     * @param typ JOSE `typ` header, e.g. `at+jwt` (RFC 9068) or `JWT`.
     * @param db the transaction the signature belongs to, if any: keys not yet loaded are read (or created) in it.
     * @param alg ES256 (access tokens) unless told: an ID token's is its client's `idTokenSignedResponseAlg`.
     */
    signJwt: async (
      tenantId: string,
      payload: Record<string, unknown>,
      typ = 'JWT',
      db: DbExecutor = deps.db,
      alg: SigningAlgorithm = accessTokenAlgorithm,
    ): Promise<string> => {
      const key = (await current(tenantId, db)).active[alg];
      const input = `${headerOf(key, typ)}.${b64url(JSON.stringify(payload))}`;
      const signature = await signOffLoop(Buffer.from(input), key.signWith);
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

    list: async (tenantId: string): Promise<SigningKeyView[]> => toViews((await ensure(tenantId)).rows),

    /**
     * Rotates a tenant's keys, every algorithm at once: each published `next` key starts signing, each active one
     * retires (still published until its tokens expire), and a new `next` of each algorithm is published. Retired keys
     * past their lifetime are dropped.
     */
    rotate: async (tenantId: string): Promise<SigningKeyView[]> => {
      await ensure(tenantId);
      const fresh = await Promise.all(signingAlgorithms.map((alg) => newKey(tenantId, alg, 'next')));
      const now = deps.clock.now();
      await deps.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext(${`gatehouse-keys:${tenantId}`}))`.execute(trx);
        const rows = await keysRepo.listByTenant(trx, tenantId);
        for (const key of fresh) {
          const active = rows.find((r) => r.state === 'active' && r.alg === key.alg);
          const next = rows.find((r) => r.state === 'next' && r.alg === key.alg);
          if (active !== undefined) await keysRepo.setState(trx, active.kid, 'retired', now);
          if (next !== undefined) await keysRepo.setState(trx, next.kid, 'active', now);
          await keysRepo.insert(trx, next === undefined ? { ...key, state: 'active', activated_at: now } : key);
        }
        await keysRepo.deleteRetiredBefore(trx, tenantId, new Date(now.getTime() - retiredKeyLifetimeMs));
      });
      cache.delete(tenantId);
      await load(tenantId);
      return toViews(await keysRepo.listByTenant(deps.db, tenantId));
    },
  };
};

export type SigningKeyUseCases = ReturnType<typeof createSigningKeyUseCases>;
