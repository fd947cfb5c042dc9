/**
 * `npm run bench`: Gatehouse (PostgreSQL and PGlite) side by side with oidc-provider and the floor, in one run.
 *
 *   npm run bench                      table on stdout, generated part of docs/benchmarks.md rewritten
 *   npm run bench -- --json            one JSON object per line per scenario and system, nothing else on stdout
 *   npm run bench -- --seconds 5 --rounds 2 --warmup 1 --connections 50 --only client_credentials,jwks --systems gatehouse --no-write
 *   npm run bench -- --profile .bench-profiles   CPU profiles (--cpu-prof) of every server, for flame graphs
 *
 * Progress goes to stderr. Each run is bounded (warm-up, then a measured run); the whole bench takes about 9 minutes.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { collectGarbage } from './lib/garbage.js';
import { type LoadResult, runLoad } from './lib/load.js';
import { type Child, canPin, nextJson, pinSelf, pinServices, rssOf, spawnNode } from './lib/process.js';
import {
  jsonLines,
  type LeakCheck,
  type MemoryRow,
  markdown,
  type Report,
  type Row,
  writeMarkdown,
} from './lib/report.js';
import { type RunningSystem, type Scenario, scenarios } from './lib/scenarios.js';
import { type FloorBench, type FloorRound, floorKindOf, startFloor } from './systems/floor.js';
import { startGatehouse } from './systems/gatehouse.js';
import { startOidcProvider } from './systems/oidc-provider.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string' },
    systems: { type: 'string', default: 'gatehouse,gatehouse-pglite,oidc-provider' },
    'no-write': { type: 'boolean', default: false },
    'no-leak-check': { type: 'boolean', default: false },
    profile: { type: 'string' },
    output: { type: 'string', default: 'docs/benchmarks.md' },
  },
  allowPositionals: false,
});

const seconds = Number(args.seconds);
const rounds = Math.max(1, Number(args.rounds));
const warmupSeconds = Number(args.warmup);
const connections = Number(args.connections);
const selected = new Set<Scenario>(
  args.only === undefined ? scenarios : (args.only.split(',').map((s) => s.trim()) as Scenario[]),
);
const wanted = new Set(args.systems.split(',').map((s) => s.trim()));
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const startedAt = Date.now();

const main = async () => {
  const pinned = (await pinSelf()) && canPin;
  const unpinServices = pinned ? await pinServices() : undefined;
  const restore = async () => {
    await unpinServices?.();
  };
  const interrupted = () => {
    void restore().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const loadBefore = loadavg();
  log(
    `pinning: ${pinned ? `servers on core 0, load on core 1${unpinServices === undefined ? '' : ' with PostgreSQL and Redis'}` : 'off'}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const load = { connections, seconds };

  const emulator: Child = spawnNode({ name: 'emulator', args: ['bench/servers/emulator.ts'], pin: false });
  const systems: RunningSystem[] = [];
  let floor: FloorBench | undefined;
  try {
    floor = await startFloor(load, log);
    await floor.measureAll(rounds);

    const { url: emulatorUrl } = await nextJson<{ url: string }>(emulator);
    const profile = args.profile === undefined ? {} : { profileDir: args.profile };
    if (wanted.has('gatehouse')) {
      log('starting Gatehouse on PostgreSQL');
      systems.push(await startGatehouse({ store: 'postgres', emulatorUrl, ...profile }));
    }
    if (wanted.has('gatehouse-pglite')) {
      log('starting Gatehouse on PGlite');
      systems.push(await startGatehouse({ store: 'pglite', emulatorUrl, ...profile }));
    }
    if (wanted.has('oidc-provider')) {
      log('starting oidc-provider');
      systems.push(await startOidcProvider(profile));
    }

    const rows: Row[] = [];
    const floors: Partial<Record<Scenario, FloorRound>> = {};
    const peaks = new Map<RunningSystem, number>(systems.map((s) => [s, s.idleRss]));
    const rates = new Map<string, number>();
    for (const scenario of scenarios) {
      if (!selected.has(scenario)) continue;
      const running: RunningSystem[] = [];
      for (const system of systems) {
        const build = system.scenarios[scenario];
        if (build === undefined) continue;
        const problem = await system.probe(scenario);
        if (problem !== undefined) {
          log(`${scenario} on ${system.system}: not run (${problem})`);
          rows.push({ scenario, system: system.system, skipped: problem.split('\n')[0]?.slice(0, 160) ?? 'failed' });
          continue;
        }
        // Pools that are used up (new users) are sized from the known-user rate of the same system.
        const estimate = rates.get(`${system.system}:social_login_known`) ?? 1000;
        log(`${scenario} on ${system.system}: warm-up ${warmupSeconds} s`);
        await runLoad(await build(Math.ceil(estimate * warmupSeconds)), { ...load, seconds: warmupSeconds });
        running.push(system);
      }
      if (running.length === 0) continue;
      const floorKind = floorKindOf(scenario);
      await floor.warmUp(floorKind, warmupSeconds);
      // Rounds alternate between the systems and the floor the scenario is compared with, so a burst of load from
      // elsewhere on the machine hits every side of a ratio alike; each keeps its best round (outside load only ever
      // slows a run down).
      const best = new Map<RunningSystem, LoadResult>();
      for (let round = 1; round <= rounds; round++) {
        for (const system of running) {
          const build = system.scenarios[scenario] as NonNullable<RunningSystem['scenarios'][Scenario]>;
          const estimate = rates.get(`${system.system}:social_login_known`) ?? 1000;
          const result = await runLoad(await build(Math.ceil(estimate * seconds)), { ...load, pid: system.pid });
          log(
            `${scenario} on ${system.system}, round ${round}: ${Math.round(result.rps)} req/s, p99 ${result.p99Ms.toFixed(2)} ms, ${result.errors} errors, ${Math.round(result.cpuUsPerRequest ?? 0)} µs CPU/request, load generator ${Math.round(result.loadCpuShare * 100)}%`,
          );
          peaks.set(system, Math.max(peaks.get(system) ?? 0, result.peakRss));
          const previous = best.get(system);
          if (previous === undefined || result.rps > previous.rps) best.set(system, result);
        }
        const floorRound = await floor.measure(floorKind);
        log(
          `${scenario}: floor (${floorKind}), round ${round}: ${Math.round(floorRound.rps)} req/s, HTTP part ${Math.round(floorRound.http.cpuUsPerRequest ?? 0)} µs CPU/request`,
        );
        const previous = floors[scenario];
        if (previous === undefined || floorRound.rps > previous.rps) floors[scenario] = floorRound;
      }
      for (const system of running) {
        const result = best.get(system) as LoadResult;
        rates.set(`${system.system}:${scenario}`, result.rps);
        rows.push({ scenario, system: system.system, result });
      }
    }

    let leak: LeakCheck | undefined;
    const gatehouse = systems.find((s) => s.system === 'gatehouse');
    if (!args['no-leak-check'] && gatehouse !== undefined) {
      const rss: number[] = [];
      let collected = true;
      const mix = (['client_credentials', 'refresh_token', 'social_login_known'] as const).filter((s) =>
        rows.some((r) => r.system === 'gatehouse' && r.scenario === s && r.result !== undefined),
      );
      for (let round = 1; round <= 3 && mix.length > 0; round++) {
        for (const scenario of mix) {
          const build = gatehouse.scenarios[scenario];
          if (build !== undefined) await runLoad(await build(1000), { ...load, pid: gatehouse.pid });
        }
        await new Promise((r) => setTimeout(r, 1000));
        if (!(await collectGarbage(gatehouse.pid))) collected = false;
        await new Promise((r) => setTimeout(r, 500));
        const now = rssOf(gatehouse.pid);
        log(`leak check round ${round}: RSS ${(now / 1024 / 1024).toFixed(0)} MB`);
        rss.push(now);
      }
      if (rss.length === 3)
        leak = {
          label: `Gatehouse (PostgreSQL), rounds of ${mix.join(' + ')} at ${seconds} s each`,
          rounds: rss,
          afterCollection: collected,
        };
    }

    const memory: MemoryRow[] = systems.map((s) => ({
      label: s.label,
      idleRss: s.idleRss,
      peakRss: peaks.get(s) ?? 0,
    }));
    const report: Report = {
      rows,
      floor: floor.results(),
      floors,
      memory,
      ...(leak === undefined ? {} : { leak }),
      conditions: {
        date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
        cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
        cores: cpus().length,
        node: process.versions.node,
        pinned,
        servicesPinned: unpinServices !== undefined,
        connections,
        seconds,
        rounds,
        warmupSeconds,
        loadBefore,
        loadAfter: loadavg(),
        totalSeconds: (Date.now() - startedAt) / 1000,
      },
    };
    if (args.json) process.stdout.write(`${jsonLines(report).join('\n')}\n`);
    else process.stdout.write(`${markdown(report)}\n`);
    if (!args['no-write']) {
      writeMarkdown(args.output, report);
      log(`wrote ${args.output}`);
    }
  } finally {
    for (const system of systems) await system.stop().catch((error: unknown) => log(String(error)));
    await floor?.stop();
    await emulator.stop();
    await restore();
  }
};

await main();
