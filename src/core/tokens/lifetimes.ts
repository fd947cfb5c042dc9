import type { Client } from '../clients/client.js';
import type { Tenant } from '../tenants/tenant.js';

/** Token lifetimes in seconds, after client settings and tenant policy have been applied. */
export interface TokenLifetimes {
  readonly accessToken: number;
  readonly idToken: number;
  readonly refreshToken: number;
  /** A refresh-token family, from its sign-in: no rotation past it. */
  readonly refreshFamily: number;
}

/** Defaults when neither the client nor the tenant says otherwise. */
export const defaultLifetimes: TokenLifetimes = {
  accessToken: 15 * 60,
  idToken: 15 * 60,
  refreshToken: 30 * 24 * 60 * 60,
  refreshFamily: 30 * 24 * 60 * 60,
};

/** An authorization code lives this long (RFC 6749 §4.1.2 recommends at most 10 minutes). */
export const authorizationCodeLifetimeSeconds = 60;

/** Client settings win over tenant policy, which wins over the defaults. */
export const tokenLifetimes = (tenant: Tenant, client: Client): TokenLifetimes => ({
  accessToken:
    client.settings.accessTokenTtlSeconds ?? tenant.policies.accessTokenTtlSeconds ?? defaultLifetimes.accessToken,
  idToken: tenant.policies.idTokenTtlSeconds ?? defaultLifetimes.idToken,
  refreshToken:
    client.settings.refreshTokenTtlSeconds ?? tenant.policies.refreshTokenTtlSeconds ?? defaultLifetimes.refreshToken,
  refreshFamily: client.settings.refreshTokenAbsoluteTtlSeconds ?? defaultLifetimes.refreshFamily,
});

/** When a family started at `now` ends, whatever its rotations. */
export const familyExpiry = (now: Date, lifetimes: TokenLifetimes): Date =>
  new Date(now.getTime() + lifetimes.refreshFamily * 1000);
