import { createCoalescer } from '../../lib/coalescer.js';
import { isLockTimeout, isStorageUnavailable } from '../../lib/pg-errors.js';

/**
 * Sends the calls of a hot statement that arrive together as one batch (see `createCoalescer`): at most 4 batches in
 * flight per instance, 64 calls in one. `run` must be all or nothing; a failed batch runs again one call at a time,
 * unless the database is unreachable or too slow (every call would fail alike). A lock wait past its bound is retried
 * singly: one locked row must not fail the other calls of its batch.
 */
export const coalesceStatements = <I, O>(run: (items: I[]) => Promise<O[]>): ((item: I) => Promise<O>) =>
  createCoalescer(run, {
    lanes: 4,
    maxBatch: 64,
    retrySingly: (error) => isLockTimeout(error) || !isStorageUnavailable(error),
  });
