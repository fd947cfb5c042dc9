/**
 * Buffers items and hands them to `write` in batches: at most `flushMs` after the first pending item, or as soon as
 * `maxBatch` are pending. Batches are written one after another, never concurrently. `write` must not throw (it
 * reports its own failures); `flush()` writes what is pending and waits until every batch so far is written.
 */
export const createBatcher = <T>(
  write: (batch: T[]) => Promise<void>,
  { flushMs, maxBatch }: { readonly flushMs: number; readonly maxBatch: number },
) => {
  let pending: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const flush = async (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    if (batch.length > 0) inFlight = inFlight.then(() => write(batch));
    await inFlight;
  };

  return {
    add: (item: T): void => {
      pending.push(item);
      if (pending.length >= maxBatch) void flush();
      else if (timer === undefined) {
        timer = setTimeout(() => void flush(), flushMs);
        timer.unref();
      }
    },
    flush,
  };
};
