import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { ConnectionConfig, ConnectorDeps, UpstreamRequest } from '../../src/connectors/connector.js';
import { ConnectorError, type ConnectorErrorCode } from '../../src/connectors/errors.js';
import { type ErrorCode, GatehouseError } from '../../src/core/errors.js';
import { createMemoryKv } from '../../src/kv/memory.js';
import { createTestClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';

/** Real dependencies for a connector under test: global fetch, a movable clock, an in-memory cache. */
export const testDeps = (options: { timeoutMs?: number; allowInsecureUpstreams?: boolean } = {}) => {
  const clock = createTestClock();
  const deps: ConnectorDeps = {
    fetch: globalThis.fetch,
    clock,
    cache: createMemoryKv(clock),
    log: createLogger({ level: 'silent' }),
    // Generous: CI machines run many suites at once. Tests of slowness set a short one.
    timeoutMs: options.timeoutMs ?? 10_000,
    allowInsecureUpstreams: options.allowInsecureUpstreams ?? true,
  };
  return { deps, clock };
};

/** A connection of `kind` with test credentials. */
export const aConnection = (kind: string, overrides: Partial<ConnectionConfig> = {}): ConnectionConfig => ({
  id: `${kind}-test`,
  kind,
  clientId: 'gatehouse-web',
  clientSecret: 'test-secret',
  trustEmail: false,
  settings: {},
  ...overrides,
});

export const redirectUri = 'http://127.0.0.1:9/callback';

/** A fresh transaction, as the core generates before a redirect. */
export const anUpstreamRequest = (overrides: Partial<UpstreamRequest> = {}): UpstreamRequest => ({
  redirectUri,
  state: randomBytes(16).toString('base64url'),
  nonce: randomBytes(16).toString('base64url'),
  codeVerifier: randomBytes(32).toString('base64url'),
  ...overrides,
});

/** Awaits `promise`, expects it to reject with a GatehouseError of `code`, and returns that error. */
export const expectError = async (promise: Promise<unknown>, code: ErrorCode): Promise<GatehouseError> => {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatehouseError);
  expect((error as GatehouseError).code).toBe(code);
  return error as GatehouseError;
};

/** Awaits `promise`, expects it to reject with a ConnectorError of `code`, and returns that error. */
export const expectConnectorError = async (
  promise: Promise<unknown>,
  code: ConnectorErrorCode,
): Promise<ConnectorError> => {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  expect((error as ConnectorError).code).toBe(code);
  return error as ConnectorError;
};

/** A Sign in with Apple style .p8 key (PKCS#8 P-256, PEM). */
export const appleKeyPem = (): string =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
