import type { LoadOptions, LoadResult, LoadSpec } from '../lib/load.js';
import { runLoad } from '../lib/load.js';
import { type Child, nextJson, runFloorProgram, spawnNode } from '../lib/process.js';
import type { Scenario } from '../lib/scenarios.js';
import { benchDatabaseUrl } from './gatehouse.js';

export interface FloorResults {
  /** Bare Fastify GET / (hello world). */
  readonly http: LoadResult;
  /** Bare Fastify POST / with a urlencoded body (the shape of a token request). */
  readonly httpPost: LoadResult;
  /** ES256 JWT signatures per second, one process, node:crypto on a cached KeyObject. */
  readonly sign: number;
  /** PostgreSQL INSERT + SELECT pairs per second from `pg`, pool of 10. */
  readonly db: number;
  readonly idleRss: number;
}

/** What a scenario is compared with: the bare GET, the bare POST, or POST + one signature + one database pair. */
export type FloorKind = 'get' | 'post' | 'composite';

export const floorKindOf = (scenario: Scenario): FloorKind => {
  switch (scenario) {
    case 'discovery':
    case 'jwks':
    case 'userinfo':
      return 'get';
    case 'client_credentials':
    case 'refresh_token':
      return 'post';
    case 'social_login_known':
    case 'social_login_new':
      return 'composite';
  }
};

/** One measured round of a floor, taken between the rounds of the systems it is compared with. */
export interface FloorRound {
  readonly kind: FloorKind;
  /** Requests (or, for the composite, logins) per second. */
  readonly rps: number;
  /** The HTTP part: the bare GET or POST run of this round. */
  readonly http: LoadResult;
  readonly sign?: number;
  readonly db?: number;
}

/** Requests per second of HTTP POST + one ES256 signature + one INSERT+SELECT pair, done one after the other. */
export const compositeRate = (post: number, sign: number, db: number): number => 1 / (1 / post + 1 / sign + 1 / db);

export interface FloorBench {
  /** Measures every part of the floor once (best of `rounds`), before any system runs. */
  measureAll(rounds: number): Promise<void>;
  warmUp(kind: FloorKind, seconds: number): Promise<void>;
  /** One round of the floor `kind`, as the systems' rounds of a scenario alternate with it. */
  measure(kind: FloorKind): Promise<FloorRound>;
  /** The best of every part over the whole run (the floor table). */
  results(): FloorResults;
  stop(): Promise<void>;
}

/**
 * The floor, measured on the same machine in the same run: what a server pinned to the same core does with nothing
 * but HTTP, a signature or a database round trip. Its bare server runs for the whole bench, so that each scenario's
 * rounds can alternate with a round of the floor it is compared with: a burst of outside load, or the machine's
 * host slowing down between scenarios, then hits both sides of the ratio alike.
 */
export const startFloor = async (load: Omit<LoadOptions, 'pid'>, log: (line: string) => void): Promise<FloorBench> => {
  const seconds = String(load.seconds);
  const server: Child = spawnNode({ name: 'floor http', args: ['bench/servers/floor-http.ts'] });
  const { url } = await nextJson<{ url: string }>(server).catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  const idleRss = server.rss();
  const specs: Record<'get' | 'post', LoadSpec> = {
    get: { url, request: { method: 'GET', path: '/' } },
    post: {
      url,
      request: {
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&scope=api',
      },
    },
  };
  let best: { http?: LoadResult; httpPost?: LoadResult; sign: number; db: number } = { sign: 0, db: 0 };
  const keep = (kind: 'get' | 'post', result: LoadResult) => {
    const key = kind === 'get' ? 'http' : 'httpPost';
    const previous = best[key];
    if (previous === undefined || result.rps > previous.rps) best = { ...best, [key]: result };
  };
  const http = async (kind: 'get' | 'post') => {
    const result = await runLoad(specs[kind], { ...load, pid: server.pid });
    keep(kind, result);
    return result;
  };
  const sign = async () => {
    const rate = await runFloorProgram('floor sign', 'bench/floor/sign.ts', { BENCH_SECONDS: seconds });
    best = { ...best, sign: Math.max(best.sign, rate) };
    return rate;
  };
  const db = async () => {
    const rate = await runFloorProgram('floor db', 'bench/floor/db.ts', {
      BENCH_SECONDS: seconds,
      DATABASE_URL: benchDatabaseUrl,
    });
    best = { ...best, db: Math.max(best.db, rate) };
    return rate;
  };

  return {
    measureAll: async (rounds) => {
      for (let round = 0; round < rounds; round++) {
        log(`floor: ES256 signatures, PostgreSQL INSERT+SELECT, Fastify GET / and POST / (round ${round + 1})`);
        await sign();
        await db();
        for (const kind of ['get', 'post'] as const) {
          if (round === 0) await runLoad(specs[kind], { ...load, seconds: 1 });
          await http(kind);
        }
      }
    },
    warmUp: async (kind, warmupSeconds) => {
      await runLoad(specs[kind === 'get' ? 'get' : 'post'], { ...load, seconds: warmupSeconds });
    },
    measure: async (kind) => {
      if (kind !== 'composite') {
        const result = await http(kind);
        return { kind, rps: result.rps, http: result };
      }
      const post = await http('post');
      const signs = await sign();
      const pairs = await db();
      return { kind, rps: compositeRate(post.rps, signs, pairs), http: post, sign: signs, db: pairs };
    },
    results: () => {
      if (best.http === undefined || best.httpPost === undefined) throw new Error('the floor was not measured');
      return { http: best.http, httpPost: best.httpPost, sign: best.sign, db: best.db, idleRss };
    },
    stop: () => server.stop(),
  };
};
