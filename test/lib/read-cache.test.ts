import { describe, expect, it } from 'vitest';
import { createReadCache } from '../../src/lib/read-cache.js';

describe('createReadCache', () => {
  it('answers a fresh entry at once, reloads a stale or deleted one, and keeps undefined values', async () => {
    let now = 1000;
    const loads: string[] = [];
    const cache = createReadCache<string | undefined>({
      ttlMs: 100,
      maxEntries: 2,
      now: () => now,
      load: async (key) => {
        loads.push(key);
        return key === 'missing' ? undefined : `${key}@${now}`;
      },
    });
    expect(cache.peek('a')).toBeUndefined();
    expect(await cache.get('a')).toBe('a@1000');
    expect(cache.get('a')).toBe('a@1000');
    expect(await cache.get('missing')).toBeUndefined();
    expect(cache.peek('missing')).toEqual({ value: undefined, at: 1000 });

    now = 1100;
    expect(cache.peek('a')).toBeUndefined();
    expect(await cache.get('a')).toBe('a@1100');
    cache.delete('a');
    expect(await cache.get('a')).toBe('a@1100');
    expect(loads).toEqual(['a', 'missing', 'a', 'a']);

    // Beyond maxEntries the map is dropped rather than grown.
    await cache.get('b');
    await cache.get('c');
    expect(cache.peek('a')).toBeUndefined();
    expect(cache.peek('c')).toBeDefined();
  });
});
