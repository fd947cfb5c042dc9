import { randomFillSync, randomUUID } from 'node:crypto';

/** A new random UUID (v4) for database ids. */
export const newId = (): string => randomUUID();

// CSPRNG bytes drawn 4 KiB at a time and each handed out once, as node's own randomUUID does: a call into the CSPRNG
// per id costs ~3 µs, a slice of the pool ~0.2 µs, and ids are taken on every request (request id, jti).
const pool = Buffer.allocUnsafe(4096);
let offset = pool.length;

/** A short, unguessable, URL-safe identifier (128 bits) for flows, sessions and jti values. */
export const newOpaqueId = (): string => {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + 16);
  offset += 16;
  return id;
};

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a UUID in canonical form (so it can be used in a uuid column without a 500). */
export const isUuid = (value: string): boolean => uuidPattern.test(value);
