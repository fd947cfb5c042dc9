import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { compositeRate, type FloorResults, type FloorRound } from '../systems/floor.js';
import type { LoadResult } from './load.js';
import type { Scenario, SystemName } from './scenarios.js';

export interface Row {
  readonly scenario: Scenario;
  readonly system: Exclude<SystemName, 'floor'>;
  readonly result?: LoadResult;
  /** Why the scenario did not run. */
  readonly skipped?: string;
}

export interface MemoryRow {
  readonly label: string;
  readonly idleRss: number;
  readonly peakRss: number;
}

export interface LeakCheck {
  readonly label: string;
  readonly rounds: readonly number[];
  /** Whether each round's RSS was read after a full garbage collection in the server. */
  readonly afterCollection: boolean;
}

export interface Conditions {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly pinned: boolean;
  /** PostgreSQL and Redis were moved to the load generator's core for the run. */
  readonly servicesPinned: boolean;
  readonly connections: number;
  readonly seconds: number;
  readonly rounds: number;
  readonly warmupSeconds: number;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  readonly totalSeconds: number;
}

export interface Report {
  readonly rows: readonly Row[];
  /** The best of every part of the floor over the whole run. */
  readonly floor: FloorResults;
  /** Per scenario, the best round of the floor it is compared with, measured between the systems' rounds. */
  readonly floors: Partial<Record<Scenario, FloorRound>>;
  readonly memory: readonly MemoryRow[];
  readonly leak?: LeakCheck;
  readonly conditions: Conditions;
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** One JSON object per scenario and system, as `npm run bench -- --json` prints them. */
export const jsonLines = (report: Report): string[] => {
  const lines = report.rows.map((row) =>
    JSON.stringify({
      scenario: row.scenario,
      system: row.system,
      rps: row.result === undefined ? null : round(row.result.rps, 1),
      p50_ms: row.result === undefined ? null : round(row.result.p50Ms, 3),
      p99_ms: row.result === undefined ? null : round(row.result.p99Ms, 3),
      errors: row.result === undefined ? null : row.result.errors,
      ...(row.result?.cpuUsPerRequest === undefined ? {} : { cpu_us_per_req: round(row.result.cpuUsPerRequest, 1) }),
      ...(row.result === undefined ? {} : { load_cpu_share: round(row.result.loadCpuShare, 2) }),
      ...(row.skipped === undefined ? {} : { skipped: row.skipped }),
    }),
  );
  const { floor } = report;
  const floorLine = (scenario: string, rps: number, result?: LoadResult) =>
    JSON.stringify({
      scenario,
      system: 'floor',
      rps: round(rps, 1),
      p50_ms: result === undefined ? null : round(result.p50Ms, 3),
      p99_ms: result === undefined ? null : round(result.p99Ms, 3),
      errors: result === undefined ? 0 : result.errors,
    });
  lines.push(floorLine('http', floor.http.rps, floor.http), floorLine('sign', floor.sign), floorLine('db', floor.db));
  return lines;
};

const compositeFloor = (floor: FloorResults): number => compositeRate(floor.httpPost.rps, floor.sign, floor.db);

const n = (value: number) => Math.round(value).toLocaleString('en-US');
const percent = (share: number) => `${Math.round(share * 100)}%`;
const ms = (value: number) => (Number.isNaN(value) ? '–' : value < 10 ? value.toFixed(2) : value.toFixed(1));
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const ratio = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? '' : `${value.toFixed(2)}×`;

interface Target {
  readonly scenario: Scenario;
  readonly against: 'oidc-provider' | 'floor http' | 'floor composite';
  readonly min: number;
  readonly p99NoWorse?: boolean;
}

const targets: readonly Target[] = [
  { scenario: 'client_credentials', against: 'oidc-provider', min: 2, p99NoWorse: true },
  { scenario: 'refresh_token', against: 'oidc-provider', min: 1.5, p99NoWorse: true },
  { scenario: 'discovery', against: 'floor http', min: 0.8 },
  { scenario: 'jwks', against: 'floor http', min: 0.8 },
  { scenario: 'social_login_known', against: 'floor composite', min: 0.5 },
];

const find = (report: Report, scenario: Scenario, system: Row['system']) =>
  report.rows.find((r) => r.scenario === scenario && r.system === system)?.result;

const floorOf = (report: Report, scenario: Scenario): number | undefined => report.floors[scenario]?.rps;

/** The generated part of docs/benchmarks.md. */
export const markdown = (report: Report): string => {
  const { floor, conditions: c } = report;
  const out: string[] = [];
  out.push(
    `Run on ${c.date}: ${c.cpu}, ${c.cores} cores, Node ${c.node}; ${c.pinned ? 'each server and floor program pinned to core 0 and the load generator (autocannon) to core 1 with `taskset`' : 'no pinning (taskset or a second core missing)'}; ${c.connections} connections; per scenario and system a ${c.warmupSeconds} s warm-up, then ${c.rounds} measured runs of ${c.seconds} s alternating between the systems, the best one kept; load average before ${c.loadBefore.map((l) => l.toFixed(2)).join(' / ')}, after ${c.loadAfter.map((l) => l.toFixed(2)).join(' / ')}; whole run ${Math.round(c.totalSeconds)} s. ${c.servicesPinned ? "PostgreSQL and Redis were moved to core 1 for the run (the server core is the server's alone, as on a fleet where the database has its own machine)." : 'PostgreSQL and Redis are not pinned.'}`,
    '',
    '| scenario | system | req/s | p50 ms | p99 ms | errors | server CPU µs/req | load generator CPU | vs oidc-provider | vs floor |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const row of report.rows) {
    const label = row.system;
    if (row.result === undefined) {
      out.push(`| ${row.scenario} | ${label} | not run: ${row.skipped ?? 'unavailable'} | | | | | | | |`);
      continue;
    }
    const peer = row.system === 'oidc-provider' ? undefined : find(report, row.scenario, 'oidc-provider');
    const base = floorOf(report, row.scenario);
    out.push(
      `| ${row.scenario} | ${label} | ${n(row.result.rps)} | ${ms(row.result.p50Ms)} | ${ms(row.result.p99Ms)} | ${row.result.errors} | ${row.result.cpuUsPerRequest === undefined ? '' : n(row.result.cpuUsPerRequest)} | ${percent(row.result.loadCpuShare)} | ${ratio(peer === undefined ? undefined : row.result.rps / peer.rps)} | ${ratio(base === undefined ? undefined : row.result.rps / base)} |`,
    );
  }
  out.push(
    '',
    'The floor, same machine, same run:',
    '',
    '| floor | rate | p50 ms | p99 ms | server CPU µs/req | load generator CPU |',
    '|---|---:|---:|---:|---:|---:|',
    `| http: bare Fastify GET / | ${n(floor.http.rps)} req/s | ${ms(floor.http.p50Ms)} | ${ms(floor.http.p99Ms)} | ${n(floor.http.cpuUsPerRequest ?? Number.NaN)} | ${percent(floor.http.loadCpuShare)} |`,
    `| http: bare Fastify POST / (urlencoded) | ${n(floor.httpPost.rps)} req/s | ${ms(floor.httpPost.p50Ms)} | ${ms(floor.httpPost.p99Ms)} | ${n(floor.httpPost.cpuUsPerRequest ?? Number.NaN)} | ${percent(floor.httpPost.loadCpuShare)} |`,
    `| sign: ES256 JWT, node:crypto, one process | ${n(floor.sign)} /s | | | | |`,
    `| db: PostgreSQL INSERT+SELECT pair, pg pool 10 | ${n(floor.db)} /s | | | | |`,
    `| composite: POST + one sign + one db pair, in series | ${n(compositeFloor(floor))} req/s | | | | |`,
    '',
    '"Load generator CPU" is the share of its own core autocannon used during the run. Near 100%, the client limited the rate as much as the server did, and the req/s ratio measures both; the server\'s CPU per request is then the better comparison.',
    '',
    '"vs floor" compares discovery, JWKS and userinfo with the bare GET, the token grants with the bare POST, and social login with the composite, each measured in rounds alternating with the scenario\'s own (the best kept, as for the systems); the table above is the best of each part over the whole run.',
    '',
    'Targets (Gatehouse on PostgreSQL):',
    '',
    '| target | measured (req/s ratio) | by server CPU per request | met |',
    '|---|---|---|---|',
  );
  for (const t of targets) {
    const mine = find(report, t.scenario, 'gatehouse');
    const peer = find(report, t.scenario, 'oidc-provider');
    const sameRounds = report.floors[t.scenario];
    const base = t.against === 'oidc-provider' ? peer?.rps : sameRounds?.rps;
    const name = `${t.scenario} ≥ ${t.min}× ${t.against}${t.p99NoWorse ? ', p99 no worse' : ''}`;
    if (mine === undefined || base === undefined) {
      out.push(`| ${name} | not measured | – | – |`);
      continue;
    }
    const r = mine.rps / base;
    const p99Ok = !t.p99NoWorse || peer === undefined || mine.p99Ms <= peer.p99Ms;
    const p99 = t.p99NoWorse && peer !== undefined ? `, p99 ${ms(mine.p99Ms)} vs ${ms(peer.p99Ms)} ms` : '';
    // The same comparison by CPU: how many of Gatehouse's requests the other side's CPU per request would pay for.
    const otherCpu =
      t.against === 'oidc-provider'
        ? peer?.cpuUsPerRequest
        : t.against === 'floor http'
          ? sameRounds?.http.cpuUsPerRequest
          : undefined;
    const cpu =
      otherCpu === undefined || mine.cpuUsPerRequest === undefined
        ? '–'
        : `${(otherCpu / mine.cpuUsPerRequest).toFixed(2)}×`;
    const against = t.against === 'oidc-provider' ? '' : ` (floor ${n(base)} req/s)`;
    out.push(`| ${name} | ${r.toFixed(2)}×${p99}${against} | ${cpu} | ${r >= t.min && p99Ok ? 'yes' : '**no**'} |`);
  }
  out.push(
    '',
    '"met" judges the req/s ratio, as the targets are stated. "By server CPU per request" is the other side\'s CPU per request divided by Gatehouse\'s: the ratio the two would reach if each were CPU-bound on a core of its own (it cannot be computed for the composite floor).',
  );
  out.push('', 'Memory (RSS):', '', '| process | idle | peak under load |', '|---|---:|---:|');
  for (const m of report.memory) out.push(`| ${m.label} | ${mb(m.idleRss)} | ${mb(m.peakRss)} |`);
  out.push(`| bare Fastify | ${mb(floor.idleRss)} | ${mb(Math.max(floor.http.peakRss, floor.httpPost.peakRss))} |`);
  if (report.leak !== undefined) {
    const [first = 0, , last = 0] = report.leak.rounds;
    out.push(
      '',
      `Leak check, ${report.leak.label}: RSS after each of 3 rounds of load${report.leak.afterCollection ? ' and a full garbage collection' : ''} ${report.leak.rounds.map(mb).join(' / ')}; round 3 / round 1 = ${(last / first).toFixed(2)} (limit 1.20): ${last <= first * 1.2 ? 'pass' : '**fail**'}.`,
    );
  }
  return out.join('\n');
};

const begin = '<!-- bench:begin (written by `npm run bench`; edit outside these markers) -->';
const end = '<!-- bench:end -->';

/** Replaces the generated part of `path`, keeping what is written around it. */
export const writeMarkdown = (path: string, report: Report): void => {
  const generated = `${begin}\n${markdown(report)}\n${end}`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const from = current.indexOf(begin);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from
      ? `${current.slice(0, from)}${generated}${current.slice(to + end.length)}`
      : `# Benchmarks\n\n${generated}\n`;
  writeFileSync(path, next);
};
