/** PostgreSQL error codes that mean "the database is not reachable right now" rather than a bug. */
const unavailableCodes = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004', '53300']);
const unavailableErrnos = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/** True when `error` says the database is down or unreachable (rendered as 503 `storage_unavailable`). */
export const isStorageUnavailable = (error: unknown): boolean => {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && (unavailableCodes.has(e.code) || unavailableErrnos.has(e.code))) return true;
  // node's AggregateError for a refused connection to several addresses
  if (Array.isArray(e.errors) && e.errors.some(isStorageUnavailable)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  // A prepared statement met a schema change mid-transaction (see store/database.ts): retrying succeeds.
  if (e.code === '0A000' && message === 'cached plan must not change result type') return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED|Cannot use a pool after calling end/i.test(
    message,
  );
};
