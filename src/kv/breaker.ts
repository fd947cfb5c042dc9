/**
 * Where a circuit breaker stands: `closed` (calls go to the service), `open` (calls go to the fallback; a probe is
 * scheduled), `half_open` (the probe is running; calls still go to the fallback, so no caller waits on it).
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. */
  readonly failureThreshold: number;
  /** How long it stays open before each probe, in milliseconds. */
  readonly retryMs: number;
  /** The half-open probe: settles within a bound; resolves when the service answers again. */
  readonly probe: () => Promise<unknown>;
  /** Called on each change between closed and open (not on each failed probe), with a reason free of secrets. */
  readonly onChange?: (state: 'open' | 'closed', reason: string) => void;
}

/**
 * A circuit breaker in front of an optional service. Callers ask `allows()` before a call and report its outcome;
 * after `failureThreshold` failures in a row the breaker opens, and from then on a background probe runs every
 * `retryMs` until the service answers, which closes it. Probes run off the request path.
 */
export const createCircuitBreaker = (options: CircuitBreakerOptions) => {
  let state: BreakerState = 'closed';
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void probe(), options.retryMs);
    timer.unref();
  };
  const open = (reason: string) => {
    if (state !== 'closed' || stopped) return;
    state = 'open';
    failures = 0;
    options.onChange?.('open', reason);
    schedule();
  };
  const close = (reason: string) => {
    if (state === 'closed' || stopped) return;
    clearTimeout(timer);
    state = 'closed';
    failures = 0;
    options.onChange?.('closed', reason);
  };
  const probe = async () => {
    if (state !== 'open' || stopped) return;
    state = 'half_open';
    try {
      await options.probe();
      if (state === 'half_open') close('the probe was answered');
    } catch {
      if (state === 'half_open') {
        state = 'open';
        schedule();
      }
    }
  };

  return {
    state: (): BreakerState => state,
    /** True while calls may go to the service. */
    allows: (): boolean => state === 'closed',
    succeeded: (): void => {
      if (state === 'closed') failures = 0;
    },
    /** Counts a failed call; the `failureThreshold`-th in a row opens the breaker. */
    failed: (reason: string): void => {
      if (state !== 'closed') return;
      failures += 1;
      if (failures >= options.failureThreshold) open(reason);
    },
    /** Opens at once: the service is known to be away (its connection closed). */
    trip: (reason: string): void => open(reason),
    /** Closes at once: the service is known to be back (its connection is ready again). */
    reset: (reason: string): void => close(reason),
    /** Stops probing for good (shutdown). */
    stop: (): void => {
      stopped = true;
      clearTimeout(timer);
    },
  };
};

export type CircuitBreaker = ReturnType<typeof createCircuitBreaker>;
