import type { Client } from '../clients/client.js';
import { GatehouseError } from '../errors.js';

/** The OpenID Connect scopes every tenant understands; clients may add their own (`settings.scopes`). */
export const standardScopes = ['openid', 'profile', 'email', 'offline_access'] as const;

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
const scopeToken = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Splits a `scope` parameter into distinct tokens, in order.
 * @throws GatehouseError `invalid_scope` when a token has characters RFC 6749 §3.3 forbids.
 */
export const parseScope = (value: string | undefined): string[] => {
  if (value === undefined) return [];
  const tokens = value.split(' ').filter((token) => token !== '');
  for (const token of tokens) {
    if (!scopeToken.test(token)) throw new GatehouseError('invalid_scope', 'the scope has a malformed value');
  }
  return [...new Set(tokens)];
};

/**
 * Checks that a client may ask for every scope in `scopes`: those its `settings.scopes` lists, or, without that
 * setting, the standard OpenID Connect scopes only. A scope an administrator never gave a client is never granted
 * because the client asked for it.
 * @throws GatehouseError `invalid_scope` naming the first scope it may not have.
 */
export const requireAllowedScopes = (client: Client, scopes: readonly string[]): void => {
  const allowed: readonly string[] = client.settings.scopes ?? standardScopes;
  const refused = scopes.find((scope) => !allowed.includes(scope));
  if (refused !== undefined)
    throw new GatehouseError('invalid_scope', `the client may not request scope ${JSON.stringify(refused)}`);
};
