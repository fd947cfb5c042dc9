/**
 * The database floor: INSERT + SELECT-by-key round-trip pairs per second from `pg`, pool of 10, 10 in flight, in a
 * throwaway schema of DATABASE_URL. Runs for BENCH_SECONDS (default 3) after a short warm-up; prints `{"rate": n}`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const schema = `bench_floor_${randomBytes(4).toString('hex')}`;

const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`CREATE SCHEMA "${schema}"`);
await admin.query(
  `CREATE TABLE "${schema}".pairs (id text PRIMARY KEY, value text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
);
const pool = new pg.Pool({ connectionString: url, max: 10, options: `-c search_path="${schema}"` });

let counter = 0;
const pair = async () => {
  const id = `k${counter++}`;
  await pool.query('INSERT INTO pairs (id, value) VALUES ($1, $2)', [id, 'v']);
  await pool.query('SELECT id, value, created_at FROM pairs WHERE id = $1', [id]);
};

const run = async (ms: number): Promise<number> => {
  const end = performance.now() + ms;
  let n = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (performance.now() < end) {
        await pair();
        n++;
      }
    }),
  );
  return n;
};

try {
  await run(500);
  const started = performance.now();
  const count = await run(seconds * 1000);
  process.stdout.write(`${JSON.stringify({ rate: count / ((performance.now() - started) / 1000) })}\n`);
} finally {
  await pool.end();
  await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
  await admin.end();
}
