import type { GrantType } from '../../core/clients/client.js';

/**
 * The provider grants, by `grant_type` (case-sensitive: `Facebook` is a grant, `facebook` is not), and the connector
 * kind each one verifies with.
 */
export const providerGrants = {
  Facebook: 'facebook',
  Google: 'google',
  Microsoft: 'microsoft',
  LinkedIn: 'linkedin',
  Apple: 'apple',
  GitHub: 'github',
} as const satisfies Partial<Record<GrantType, string>>;

export type ProviderGrant = keyof typeof providerGrants;

export const isProviderGrant = (grantType: string): grantType is ProviderGrant =>
  Object.hasOwn(providerGrants, grantType);
