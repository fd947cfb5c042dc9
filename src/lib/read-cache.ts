/**
 * A short-lived per-instance cache of reads (tenants, clients): a fresh entry answers without a promise, a missing or
 * stale one is loaded and kept for `ttlMs` from when its load started. Beyond `maxEntries` the whole map is dropped,
 * so a stream of made-up keys cannot grow it. Writers `delete` what they changed; other instances see a change
 * within `ttlMs`.
 */
export const createReadCache = <V>(options: {
  readonly ttlMs: number;
  readonly maxEntries?: number;
  /** Milliseconds since the epoch (the core's clock). */
  readonly now: () => number;
  readonly load: (key: string) => Promise<V>;
}) => {
  const { ttlMs, maxEntries = 10_000, now } = options;
  const entries = new Map<string, { readonly value: V; readonly at: number }>();

  /** The fresh entry of `key`, or undefined when there is none (a cached value may itself be undefined). */
  const peek = (key: string): { readonly value: V } | undefined => {
    const hit = entries.get(key);
    return hit !== undefined && now() - hit.at < ttlMs ? hit : undefined;
  };

  const load = async (key: string): Promise<V> => {
    const at = now();
    const value = await options.load(key);
    if (entries.size > maxEntries) entries.clear();
    entries.set(key, { value, at });
    return value;
  };

  return {
    peek,
    /** The value of `key`: at once when fresh, else once loaded. */
    get: (key: string): V | Promise<V> => {
      const hit = peek(key);
      return hit === undefined ? load(key) : hit.value;
    },
    delete: (key: string): void => {
      entries.delete(key);
    },
  };
};
