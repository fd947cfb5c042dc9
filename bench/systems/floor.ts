import type { LoadOptions, LoadResult } from '../lib/load.js';
import { runLoad } from '../lib/load.js';
import { nextJson, runFloorProgram, spawnNode } from '../lib/process.js';
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

/**
 * The floor, measured on the same machine in the same run: what a server pinned to the same core does with nothing
 * but HTTP, a signature or a database round trip.
 */
export const measureFloor = async (
  load: Omit<LoadOptions, 'pid'>,
  warmupSeconds: number,
  rounds: number,
  log: (line: string) => void,
): Promise<FloorResults> => {
  const seconds = String(load.seconds);
  const bestOf = async <T>(measure: () => Promise<T>, rate: (result: T) => number): Promise<T> => {
    let best: T | undefined;
    for (let round = 0; round < rounds; round++) {
      const result = await measure();
      if (best === undefined || rate(result) > rate(best)) best = result;
    }
    return best as T;
  };
  log('floor: ES256 signatures');
  const sign = await bestOf(
    () => runFloorProgram('floor sign', 'bench/floor/sign.ts', { BENCH_SECONDS: seconds }),
    (rate) => rate,
  );
  log('floor: PostgreSQL INSERT+SELECT');
  const db = await bestOf(
    () => runFloorProgram('floor db', 'bench/floor/db.ts', { BENCH_SECONDS: seconds, DATABASE_URL: benchDatabaseUrl }),
    (rate) => rate,
  );
  const server = spawnNode({ name: 'floor http', args: ['bench/servers/floor-http.ts'] });
  try {
    const { url } = await nextJson<{ url: string }>(server);
    const idleRss = server.rss();
    const get = { url, request: { method: 'GET' as const, path: '/' } };
    const post = {
      url,
      request: {
        method: 'POST' as const,
        path: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&scope=api',
      },
    };
    log('floor: Fastify GET /');
    await runLoad(get, { ...load, seconds: warmupSeconds });
    const http = await bestOf(
      () => runLoad(get, { ...load, pid: server.pid }),
      (r) => r.rps,
    );
    log('floor: Fastify POST /');
    await runLoad(post, { ...load, seconds: warmupSeconds });
    const httpPost = await bestOf(
      () => runLoad(post, { ...load, pid: server.pid }),
      (r) => r.rps,
    );
    return { http, httpPost, sign, db, idleRss };
  } finally {
    await server.stop();
  }
};
