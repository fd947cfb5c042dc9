import type { Clock } from '../lib/clock.js';
import { systemClock } from '../lib/clock.js';
import type { KeyValueStore } from './kv.js';

interface Entry {
  value: string;
  expiresAt: number | undefined;
}

/** In-process store for a single instance. Bounded: the oldest entries are dropped past `maxEntries`. */
export const createMemoryKv = (clock: Clock = systemClock, maxEntries = 100_000): KeyValueStore => {
  const entries = new Map<string, Entry>();
  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= clock.now().getTime()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const put = (key: string, value: string, ttlSeconds: number | undefined) => {
    entries.delete(key);
    entries.set(key, {
      value,
      expiresAt: ttlSeconds === undefined ? undefined : clock.now().getTime() + ttlSeconds * 1000,
    });
    if (entries.size > maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
  };
  return {
    get: async (key) => live(key)?.value,
    set: async (key, value, ttlSeconds) => put(key, value, ttlSeconds),
    setIfAbsent: async (key, value, ttlSeconds) => {
      if (live(key) !== undefined) return false;
      put(key, value, ttlSeconds);
      return true;
    },
    increment: async (key, windowSeconds) => {
      const entry = live(key);
      const next = (entry === undefined ? 0 : Number(entry.value)) + 1;
      if (entry === undefined) put(key, String(next), windowSeconds);
      else entry.value = String(next);
      return next;
    },
    delete: async (key) => {
      entries.delete(key);
    },
    status: () => 'memory',
    close: async () => {
      entries.clear();
    },
  };
};
