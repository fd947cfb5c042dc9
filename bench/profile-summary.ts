/**
 * Summarises V8 CPU profiles (`--cpu-prof`, or `npm run bench -- --profile DIR`): self time by function and by
 * package or source folder, the view that says where a hot path spends its time.
 *
 *   npx tsx bench/profile-summary.ts .bench-profiles/CPU.*.cpuprofile [--top 30] [--busiest 10]
 *
 * `--busiest N` keeps only the samples of the N seconds in which the thread was busiest: with a single-scenario run
 * (`--only X --rounds 1 --seconds N`) that is the measured run, without start-up, set-up, warm-up and the idle time
 * while the floor's round runs.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}
interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '30' }, busiest: { type: 'string' } },
  allowPositionals: true,
});
const top = Number(values.top);
const windowUs = values.busiest === undefined ? undefined : Number(values.busiest) * 1e6;

/** The `[from, to]` span of `windowUs` in which the thread was busiest (fewest idle samples). */
const busiestWindow = (times: readonly number[], idle: readonly boolean[], span: number): [number, number] => {
  let best: [number, number] = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  let bestBusy = -1;
  let busy = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    if (!idle[end]) busy++;
    while ((times[end] ?? 0) - (times[start] ?? 0) > span) {
      if (!idle[start]) busy--;
      start++;
    }
    if (busy > bestBusy) {
      bestBusy = busy;
      best = [times[start] ?? 0, times[end] ?? 0];
    }
  }
  return best;
};

const area = (url: string): string => {
  if (url === '') return '(native / V8)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const src = url.indexOf('/src/');
  if (src >= 0)
    return url
      .slice(src + 1)
      .split('/')
      .slice(0, 3)
      .join('/');
  return url.replace(/^file:\/\//, '');
};

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const times: number[] = [];
  let at = 0;
  for (const delta of profile.timeDeltas) {
    at += delta;
    times.push(at);
  }
  const idle = profile.samples.map((id) => byId.get(id)?.callFrame.functionName === '(idle)');
  const [from, to] =
    windowUs === undefined
      ? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]
      : busiestWindow(times, idle, windowUs);
  profile.samples.forEach((id, i) => {
    const t = times[i] ?? 0;
    if (t >= from && t <= to) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byArea.set(area(url), (byArea.get(area(url)) ?? 0) + us);
  }
  const show = (title: string, map: Map<string, number>) => {
    process.stdout.write(`\n${title}\n`);
    for (const [name, us] of [...map].sort((x, y) => y[1] - x[1]).slice(0, top))
      process.stdout.write(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}\n`);
  };
  process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n`);
  // Inclusive time of Gatehouse's own functions: a function's samples plus its callees', counted once per stack.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame === undefined || !frame.url.includes('/src/')) continue;
      const name = `${frame.functionName || '(anonymous)'} ${frame.url.slice(frame.url.indexOf('/src/') + 1)}:${frame.lineNumber + 1}`;
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
  }
  show('self time by package / source folder', byArea);
  show('self time by function', byFunction);
  show('inclusive time of src/ functions', inclusive);
}
