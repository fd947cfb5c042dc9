import { describe, expect, it } from 'vitest';
import { createBatcher, type Schedule } from '../../src/lib/batcher.js';

/** A schedule the test fires by hand: it records each timer, and a timer runs only when the test says so. */
const manualSchedule = () => {
  const timers: { run: () => void; ms: number; cancelled: boolean }[] = [];
  const schedule: Schedule = (run, ms) => {
    const timer = { run, ms, cancelled: false };
    timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  };
  const live = () => timers.filter((t) => !t.cancelled);
  return {
    schedule,
    timers,
    live,
    /** Runs every timer not cancelled, as if their time had come. */
    fire: () => {
      for (const timer of live()) {
        timer.cancelled = true;
        timer.run();
      }
    },
  };
};

/** Lets every promise callback queued so far run (the writes the batcher started), without waiting on time. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('createBatcher', () => {
  it('writes pending items as one batch when flushMs has passed, and at once when maxBatch are pending', async () => {
    const written: number[][] = [];
    const clock = manualSchedule();
    const batches = createBatcher<number>(async (batch) => void written.push(batch), {
      flushMs: 30,
      maxBatch: 3,
      schedule: clock.schedule,
    });
    batches.add(1);
    batches.add(2);
    await settle();
    expect(written).toEqual([]);
    // One timer for the first pending item, none more for the second.
    expect(clock.timers.map((t) => t.ms)).toEqual([30]);

    clock.fire();
    await settle();
    expect(written).toEqual([[1, 2]]);

    for (const n of [3, 4, 5, 6]) batches.add(n);
    await settle();
    expect(written).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    // 6 waits for its own timer, started after the full batch left.
    expect(clock.live().map((t) => t.ms)).toEqual([30]);
    await batches.flush();
    expect(written).toEqual([[1, 2], [3, 4, 5], [6]]);
    // flush cancelled that timer: nothing is left to fire.
    expect(clock.live()).toEqual([]);
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
      { flushMs: 1000, maxBatch: 1, schedule: manualSchedule().schedule },
    );
    batches.add('a');
    batches.add('b');
    await settle();
    expect(events).toEqual(['start a']);
    const flushed = batches.flush().then(() => events.push('flushed'));
    release();
    await flushed;
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'flushed']);
  });

  it('flushes on the process timer when no schedule is given', async () => {
    const written: number[][] = [];
    const batches = createBatcher<number>(async (batch) => void written.push(batch), { flushMs: 60_000, maxBatch: 9 });
    batches.add(1);
    await batches.flush();
    expect(written).toEqual([[1]]);
  });
});
