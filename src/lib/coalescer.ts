/**
 * Coalesces concurrent calls into batches, as a database groups concurrent commits: a call goes at the next turn of
 * the event loop, together with every call made in the same turn, or, while `lanes` batches are in flight, with every
 * call that waited for one of them to finish. An idle server answers a lone call without waiting; a busy one sends
 * fewer, larger batches. At most `maxBatch` calls go in one batch.
 *
 * `run` answers a batch with one result per item, in order, and must be all or nothing: a batch of several that fails
 * is run again one item at a time, so that each caller gets its own answer (one item's bad data fails only its own
 * call), unless `retrySingly` says the error would fail them all alike (an unreachable database).
 */
export const createCoalescer = <I, O>(
  run: (items: I[]) => Promise<O[]>,
  {
    lanes,
    maxBatch,
    retrySingly = () => true,
  }: { readonly lanes: number; readonly maxBatch: number; readonly retrySingly?: (error: unknown) => boolean },
) => {
  interface Call {
    readonly item: I;
    readonly resolve: (value: O) => void;
    readonly reject: (error: unknown) => void;
  }
  let pending: Call[] = [];
  let inFlight = 0;
  let scheduled = false;
  /** Calls at the head of `pending` that must each go alone (a failed batch being retried). */
  let singles = 0;

  const send = (calls: Call[]): void => {
    inFlight++;
    run(calls.map((call) => call.item))
      .then(
        (results) => {
          calls.forEach((call, i) => {
            call.resolve(results[i] as O);
          });
        },
        (error: unknown) => {
          if (calls.length === 1 || !retrySingly(error)) {
            for (const call of calls) call.reject(error);
            return;
          }
          // Back to the front, to go one at a time before anything that arrived since.
          pending = [...calls, ...pending];
          singles += calls.length;
        },
      )
      .finally(() => {
        inFlight--;
        if (pending.length > 0) schedule();
      });
  };
  const dispatch = (): void => {
    scheduled = false;
    while (pending.length > 0 && inFlight < lanes) {
      const size = singles > 0 ? 1 : Math.min(maxBatch, pending.length);
      if (singles > 0) singles--;
      send(pending.splice(0, size));
    }
  };

  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(dispatch);
  };

  return (item: I): Promise<O> =>
    new Promise<O>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      schedule();
    });
};
