import type { Logger } from '../lib/logger.js';

/** A cleanup step of the periodic job: deletes what expired. */
export type PurgeStep = readonly [name: string, run: () => Promise<unknown>];

/**
 * The periodic job that deletes expired codes, refresh tokens, revocations, sessions, pending authorization requests
 * and login flows. Every instance of a fleet may run it: each step is an idempotent, bounded DELETE. A failing step
 * is logged and the others still run.
 */
export const createMaintenance = (log: Logger, steps: readonly PurgeStep[]) => {
  const runOnce = async (): Promise<{ failed: string[] }> => {
    const failed: string[] = [];
    for (const [name, run] of steps) {
      try {
        await run();
      } catch (error) {
        failed.push(name);
        log.warn({ err: error, step: name }, 'maintenance.step_failed');
      }
    }
    return { failed };
  };
  return {
    runOnce,
    /** Runs the job every `intervalMs` (not keeping the process alive); returns the function that stops it. */
    start: (intervalMs = 10 * 60 * 1000): (() => void) => {
      const timer = setInterval(() => void runOnce(), intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
};

export type Maintenance = ReturnType<typeof createMaintenance>;
