import type { KeyValueStore } from '../../kv/kv.js';
import { sha256 } from '../../lib/crypto.js';
import { GatehouseError } from '../errors.js';

/**
 * Counts one event against a fixed-window limit in the shared store and refuses past it. Keys are hashed, so no
 * email or user id reaches Redis in clear.
 * @throws GatehouseError `rate_limited`
 */
export const spend = async (
  kv: KeyValueStore,
  name: string,
  subject: string,
  limit: { readonly points: number; readonly windowSeconds: number },
): Promise<number> => {
  const count = await kv.increment(`mfa:${name}:${sha256(subject)}`, limit.windowSeconds);
  if (count > limit.points) throw new GatehouseError('rate_limited', 'too many attempts; try again later');
  return count;
};

/** The current count of a limit without spending (0 when absent). */
export const peek = async (kv: KeyValueStore, name: string, subject: string): Promise<number> =>
  Number((await kv.get(`mfa:${name}:${sha256(subject)}`)) ?? 0);
