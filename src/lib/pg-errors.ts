/**
 * PostgreSQL error codes that mean "the database cannot answer right now" rather than a bug: it is down or
 * unreachable, or it did not answer within the configured timeouts (57014 `statement_timeout`, 55P03 `lock_timeout`,
 * 25P03 `idle_in_transaction_session_timeout`).
 */
const unavailableCodes = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  '53300',
  '57014',
  '55P03',
  '25P03',
]);
const unavailableErrnos = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/**
 * True when `error` says the database is down, unreachable, or did not answer in time: a timeout, a lock wait past
 * its bound, or no free connection in time (rendered as 503 `storage_unavailable`).
 */
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

/** True when a statement gave up waiting for a row or table lock (`lock_timeout`): the other rows were not involved. */
export const isLockTimeout = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === '55P03';
