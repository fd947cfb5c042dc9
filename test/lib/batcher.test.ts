import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../src/lib/batcher.js';

describe('createBatcher', () => {
  it('writes pending items as one batch after flushMs, and at once when maxBatch are pending', async () => {
    const written: number[][] = [];
    const batches = createBatcher<number>(async (batch) => void written.push(batch), { flushMs: 30, maxBatch: 3 });
    batches.add(1);
    batches.add(2);
    expect(written).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(written).toEqual([[1, 2]]);

    for (const n of [3, 4, 5, 6]) batches.add(n);
    await Promise.resolve();
    expect(written).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    await batches.flush();
    expect(written).toEqual([[1, 2], [3, 4, 5], [6]]);
  });

  it('writes batches one after another, and flush waits for every one so far', async () => {
    const events: string[] = [];
    let release: () => void = () => {};
    const batches = createBatcher<string>(
      async (batch) => {
        events.push(`start ${batch.join()}`);
        if (batch[0] === 'a') await new Promise<void>((resolve) => (release = resolve));
        events.push(`end ${batch.join()}`);
      },
      { flushMs: 1000, maxBatch: 1 },
    );
    batches.add('a');
    batches.add('b');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(events).toEqual(['start a']);
    const flushed = batches.flush().then(() => events.push('flushed'));
    release();
    await flushed;
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'flushed']);
  });
});
