import { describe, expect, it } from 'vitest';
import { createCoalescer } from '../../src/lib/coalescer.js';

/** A `run` that records each batch and answers when released. */
const gated = <I, O>(answer: (item: I) => O) => {
  const batches: I[][] = [];
  const waiting: (() => void)[] = [];
  const run = async (items: I[]): Promise<O[]> => {
    batches.push(items);
    await new Promise<void>((resolve) => waiting.push(resolve));
    return items.map(answer);
  };
  const releaseAll = () => {
    for (const release of waiting.splice(0)) release();
  };
  return { run, batches, releaseAll };
};

/** A few turns of the event loop: enough for whatever is ready to be sent. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('createCoalescer', () => {
  it('sends the calls made in one turn as one batch, and answers each caller with its own result', async () => {
    const batches: number[][] = [];
    const call = createCoalescer(
      async (items: number[]) => {
        batches.push(items);
        return items.map((n) => n * 10);
      },
      { lanes: 2, maxBatch: 10 },
    );
    const answers = await Promise.all([call(1), call(2), call(3)]);
    expect(answers).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
    // A lone call later goes on its own, without waiting for anything else.
    expect(await call(4)).toBe(40);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('holds calls while every lane is busy, then sends all that waited as one batch, at most maxBatch at a time', async () => {
    const g = gated((n: number) => n);
    const call = createCoalescer(g.run, { lanes: 1, maxBatch: 3 });
    const first = call(1);
    await settle();
    expect(g.batches).toEqual([[1]]);
    const waiting = [2, 3, 4, 5].map((n) => call(n));
    await settle();
    // The one lane is busy: nothing else was sent.
    expect(g.batches).toEqual([[1]]);
    g.releaseAll();
    expect(await first).toBe(1);
    await settle();
    expect(g.batches).toEqual([[1], [2, 3, 4]]);
    g.releaseAll();
    await settle();
    expect(g.batches).toEqual([[1], [2, 3, 4], [5]]);
    g.releaseAll();
    expect(await Promise.all(waiting)).toEqual([2, 3, 4, 5]);
  });

  it('runs a failed batch again one call at a time, so that only the bad call fails', async () => {
    const batches: string[][] = [];
    const call = createCoalescer(
      async (items: string[]) => {
        batches.push(items);
        if (items.includes('bad')) throw new Error(`refused ${items.join()}`);
        return items.map((s) => s.toUpperCase());
      },
      { lanes: 1, maxBatch: 10 },
    );
    const results = await Promise.allSettled([call('a'), call('bad'), call('c')]);
    expect(results).toEqual([
      { status: 'fulfilled', value: 'A' },
      { status: 'rejected', reason: new Error('refused bad') },
      { status: 'fulfilled', value: 'C' },
    ]);
    expect(batches).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('fails every call of a batch at once when retrySingly says the error would fail them all alike', async () => {
    const batches: number[][] = [];
    const down = new Error('database unreachable');
    const call = createCoalescer(
      async (items: number[]) => {
        batches.push(items);
        throw down;
      },
      { lanes: 1, maxBatch: 10, retrySingly: (error) => error !== down },
    );
    const results = await Promise.allSettled([call(1), call(2)]);
    expect(results).toEqual([
      { status: 'rejected', reason: down },
      { status: 'rejected', reason: down },
    ]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('sends calls that arrive while a failed batch is retried after the retried ones', async () => {
    const batches: string[][] = [];
    let later: Promise<string> | undefined;
    const call = createCoalescer(
      async (items: string[]) => {
        batches.push(items);
        if (items.length > 1 && items.includes('bad')) {
          later = call('late');
          throw new Error('refused');
        }
        return items;
      },
      { lanes: 1, maxBatch: 10 },
    );
    await Promise.allSettled([call('a'), call('bad')]);
    expect(await later).toBe('late');
    expect(batches).toEqual([['a', 'bad'], ['a'], ['bad'], ['late']]);
  });
});
