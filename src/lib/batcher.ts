/**
 * Starts `run` after `ms` and returns what cancels it. The default keeps no process alive (`unref`); tests pass one
 * they fire by hand, so that "after flushMs" is a step they take rather than a wait.
 */
export type Schedule = (run: () => void, ms: number) => () => void;

const unrefTimeout: Schedule = (run, ms) => {
  const timer = setTimeout(run, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

/**
 * Buffers items and hands them to `write` in batches: at most `flushMs` after the first pending item, or as soon as
 * `maxBatch` are pending. Batches are written one after another, never concurrently. `write` must not throw (it
 * reports its own failures); `flush()` writes what is pending and waits until every batch so far is written.
 */
export const createBatcher = <T>(
  write: (batch: T[]) => Promise<void>,
  {
    flushMs,
    maxBatch,
    schedule = unrefTimeout,
  }: { readonly flushMs: number; readonly maxBatch: number; readonly schedule?: Schedule },
) => {
  let pending: T[] = [];
  let cancelTimer: (() => void) | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const flush = async (): Promise<void> => {
    cancelTimer?.();
    cancelTimer = undefined;
    const batch = pending;
    pending = [];
    if (batch.length > 0) inFlight = inFlight.then(() => write(batch));
    await inFlight;
  };

  return {
    add: (item: T): void => {
      pending.push(item);
      if (pending.length >= maxBatch) void flush();
      else if (cancelTimer === undefined) cancelTimer = schedule(() => void flush(), flushMs);
    },
    flush,
  };
};
