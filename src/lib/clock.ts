/** Injected time source; tests advance it instead of sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Seconds since the epoch, as JWT `iat`/`exp` use. */
export const epochSeconds = (clock: Clock): number => Math.floor(clock.now().getTime() / 1000);

/** A clock tests can move forward. */
export const createTestClock = (start = new Date()): Clock & { advance(ms: number): void; set(date: Date): void } => {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
    set: (date) => {
      current = date.getTime();
    },
  };
};
