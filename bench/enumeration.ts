/**
 * `npx tsx bench/enumeration.ts [--tries 200] [--database-url postgres://…]`: does the time a self-service answer
 * takes tell whether an address has an account? For password recovery, password sign-up and sign-in with a mailed
 * code, it times `--tries` requests for addresses with an account and as many for addresses without one (interleaved
 * at random, over real HTTP, mail delivered to a local SMTP receiver) and prints, per flow, the median and p90 of each
 * group, the Mann-Whitney U test (z and two-sided p; p well above 0.05 means no detectable difference) and the
 * Kolmogorov-Smirnov distance D with its critical value at α = 0.05.
 *
 * A benchmark, not a test: it runs one server in this process (PGlite in a temporary directory unless a database URL
 * is given) and takes a minute or two. Each request comes from its own `X-Forwarded-For` address and each address is
 * used once per flow, so the rate limits (which count the same for both groups) stay out of the measurement.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SMTPServer } from 'smtp-server';
import { compose } from '../src/compose.js';
import { loadConfig } from '../src/config/load.js';

const { values: args } = parseArgs({
  options: { tries: { type: 'string', default: '200' }, 'database-url': { type: 'string' } },
});
const tries = Math.max(20, Number(args.tries));
const log = (line: string) => process.stderr.write(`[enumeration] ${line}\n`);

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

/** An SMTP receiver that accepts and forgets every message. */
const startSmtpSink = async () => {
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        received++;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

// Statistics.

const quantile = (sorted: readonly number[], q: number): number => {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (at - low);
};

/** Standard normal CDF (Abramowitz and Stegun 7.1.26 through erf). */
const normalCdf = (z: number): number => {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf =
    1 -
    t *
      (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
      Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
};

/** Mann-Whitney U of a against b, with the normal approximation (tie-corrected) and its two-sided p. */
const mannWhitney = (a: readonly number[], b: readonly number[]) => {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]?.v === all[i]?.v) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = rank;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  let rankSumA = 0;
  all.forEach((item, i) => {
    if (item.g === 0) rankSumA += ranks[i] as number;
  });
  const n1 = a.length;
  const n2 = b.length;
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const n = n1 + n2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = (u - mean) / sd;
  return { u, z, p: 2 * (1 - normalCdf(Math.abs(z))) };
};

/** Two-sample Kolmogorov-Smirnov distance, and its critical value at α = 0.05. */
const kolmogorovSmirnov = (a: readonly number[], b: readonly number[]) => {
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < sa.length && j < sb.length) {
    const v = Math.min(sa[i] as number, sb[j] as number);
    while (i < sa.length && (sa[i] as number) <= v) i++;
    while (j < sb.length && (sb[j] as number) <= v) j++;
    d = Math.max(d, Math.abs(i / sa.length - j / sb.length));
  }
  const critical = 1.358 * Math.sqrt((sa.length + sb.length) / (sa.length * sb.length));
  return { d, critical };
};

const shuffled = <T>(items: readonly T[]): T[] => {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
};

const main = async () => {
  const smtp = await startSmtpSink();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-enumeration-'));
  const config = loadConfig({
    env: {},
    flags: {
      mode: 'test',
      port,
      host: '127.0.0.1',
      publicUrl: url,
      masterKey: '1'.repeat(64),
      adminToken: 'enumeration-bench-admin-token-0123456789',
      logLevel: 'error',
      dataDir,
      smtpUrl: smtp.url,
      trustProxy: true,
      ...(args['database-url'] === undefined ? {} : { databaseUrl: args['database-url'] }),
    },
  });
  const app = await compose(config, { port });
  const server = await app.server();
  await server.listen({ port, host: '127.0.0.1' });
  const { core } = app;
  const tenant = `enum-${Date.now().toString(36)}`;
  await core.tenants.create({ id: tenant, name: 'Enumeration bench', policies: { emailCodeSignIn: true } });
  log(`creating ${tries} accounts (argon2id, a few seconds)`);
  const known: string[] = [];
  for (let i = 0; i < tries; i++) {
    const email = `member-${i}@example.com`;
    await core.users.create(tenant, { email, password: `member passphrase ${i}`, emailVerified: true });
    known.push(email);
  }
  const unknown = known.map((_, i) => `stranger-${i}@example.com`);

  let ip = 0;
  const post = async (path: string, body: unknown): Promise<number> => {
    ip++;
    const started = performance.now();
    const response = await fetch(`${url}/t/${tenant}/self-service${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`,
      },
      body: JSON.stringify(body),
    });
    await response.arrayBuffer();
    const elapsed = performance.now() - started;
    if (response.status !== 202) throw new Error(`${path} answered ${response.status}`);
    return elapsed;
  };

  const flows: { name: string; path: string; body: (email: string) => unknown }[] = [
    { name: 'recovery', path: '/recovery', body: (email) => ({ email }) },
    { name: 'sign-up', path: '/sign-up', body: (email) => ({ email, password: 'a fairly unusual passphrase' }) },
    { name: 'code sign-in', path: '/code-sign-in', body: (email) => ({ email }) },
  ];

  const rows: string[] = [];
  for (const flow of flows) {
    // Warm-up: JIT, connection pool, argon2 worker threads.
    for (let i = 0; i < 10; i++)
      await post(flow.path, flow.body(`warm-${flow.name.replace(' ', '-')}-${i}@example.org`));
    const order = shuffled([
      ...known.map((email) => ({ email, group: 'known' })),
      ...unknown.map((email) => ({ email, group: 'unknown' })),
    ]);
    const times = { known: [] as number[], unknown: [] as number[] };
    for (const { email, group } of order)
      times[group as 'known' | 'unknown'].push(await post(flow.path, flow.body(email)));
    const sk = [...times.known].sort((a, b) => a - b);
    const su = [...times.unknown].sort((a, b) => a - b);
    const mw = mannWhitney(times.known, times.unknown);
    const ks = kolmogorovSmirnov(times.known, times.unknown);
    rows.push(
      `| ${flow.name} | ${tries} + ${tries} | ${quantile(sk, 0.5).toFixed(2)} | ${quantile(su, 0.5).toFixed(2)} | ${quantile(sk, 0.9).toFixed(2)} | ${quantile(su, 0.9).toFixed(2)} | ${mw.u.toFixed(0)} | ${mw.z.toFixed(2)} | ${mw.p.toFixed(3)} | ${ks.d.toFixed(3)} (${ks.critical.toFixed(3)}) |`,
    );
    log(`${flow.name} done`);
  }
  await core.selfService.idle();
  process.stdout.write(
    [
      `Enumeration timing: ${tries} addresses with an account (known) and ${tries} without (unknown) per flow, interleaved at random; milliseconds per request over loopback HTTP, ${args['database-url'] === undefined ? 'PGlite' : 'PostgreSQL'}.`,
      '',
      '| flow | tries | median known | median unknown | p90 known | p90 unknown | Mann-Whitney U | z | p (two-sided) | KS D (critical at 0.05) |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `mails delivered to the SMTP receiver: ${smtp.received()} (only the known addresses, and new sign-ups and code sign-ups, get one)`,
      '',
    ].join('\n'),
  );
  await server.close();
  await app.close();
  await smtp.close();
  rmSync(dataDir, { recursive: true, force: true });
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
