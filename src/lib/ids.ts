import { randomBytes, randomUUID } from 'node:crypto';

/** A new random UUID (v4) for database ids. */
export const newId = (): string => randomUUID();

/** A short, unguessable, URL-safe identifier (128 bits) for flows, sessions and jti values. */
export const newOpaqueId = (): string => randomBytes(16).toString('base64url');

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a UUID in canonical form (so it can be used in a uuid column without a 500). */
export const isUuid = (value: string): boolean => uuidPattern.test(value);
