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
  log: (line: string) => void,
): Promise<FloorResults> => {
  const seconds = String(load.seconds);
  log('floor: ES256 signatures');
  const sign = await runFloorProgram('floor sign', 'bench/floor/sign.ts', { BENCH_SECONDS: seconds });
  log('floor: PostgreSQL INSERT+SELECT');
  const db = await runFloorProgram('floor db', 'bench/floor/db.ts', {
    BENCH_SECONDS: seconds,
    DATABASE_URL: benchDatabaseUrl,
  });
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
    const http = await runLoad(get, { ...load, pid: server.pid });
    log('floor: Fastify POST /');
    await runLoad(post, { ...load, seconds: warmupSeconds });
    const httpPost = await runLoad(post, { ...load, pid: server.pid });
    return { http, httpPost, sign, db, idleRss };
  } finally {
    await server.stop();
  }
};
