/**
 * The signing floor: ES256 JWT signatures per second in one process with `node:crypto` on a cached KeyObject, the
 * way Gatehouse signs. Runs for BENCH_SECONDS (default 3) after a short warm-up; prints `{"rate": n}`.
 */
import { generateKeyPairSync, sign } from 'node:crypto';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'bench' })).toString('base64url');

const signOnce = (i: number) => {
  const payload = Buffer.from(
    JSON.stringify({
      iss: 'http://127.0.0.1/t/bench',
      sub: 'bench-client',
      aud: 'urn:bench',
      iat: i,
      exp: i + 3600,
      jti: `j${i}`,
    }),
  ).toString('base64url');
  const input = `${header}.${payload}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
};

const run = (ms: number): number => {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) signOnce(n + i);
    n += 100;
  }
  return n;
};

run(500);
const started = performance.now();
const count = run(seconds * 1000);
process.stdout.write(`${JSON.stringify({ rate: count / ((performance.now() - started) / 1000) })}\n`);
