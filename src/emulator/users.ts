import type { ConnectorType } from '../connectors/registry.js';

/** A provider the emulator speaks: every connector kind. */
export type ProviderKind = ConnectorType;

/** A person who can sign in at the emulator: configured below, or created by `_mint` / the sign-in page. */
export interface TestUser {
  /** The provider's user id (`sub`; Facebook and GitHub numeric ids). */
  readonly sub: string;
  /** Short name accepted by `test_user` (`alice`). */
  readonly handle?: string;
  readonly email?: string;
  readonly emailVerified: boolean;
  readonly name?: string;
  readonly givenName?: string;
  readonly familyName?: string;
  readonly picture?: string;
  /** Extra ID token claims (Microsoft `tid`, Google `hd`, …); they override the emulator's own. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** The directory (tenant) id of work accounts at the emulated Microsoft. */
export const emulatedOrgTenantId = '5d6e7f80-1a2b-4c3d-8e9f-a0b1c2d3e4f5';
/** Microsoft's tenant of personal accounts (the real id). */
export const consumerTenantId = '9188040d-6c67-4c5b-b112-36a304b66dad';

const everyone: readonly TestUser[] = [
  {
    sub: '1000001',
    handle: 'alice',
    email: 'alice@example.com',
    emailVerified: true,
    name: 'Alice Liddell',
    givenName: 'Alice',
    familyName: 'Liddell',
  },
  {
    sub: '1000002',
    handle: 'bob',
    email: 'bob@example.com',
    emailVerified: false,
    name: 'Bob Unverified',
    givenName: 'Bob',
    familyName: 'Unverified',
  },
  {
    sub: '1000003',
    handle: 'carol',
    emailVerified: false,
    name: 'Carol Noemail',
    givenName: 'Carol',
    familyName: 'Noemail',
  },
];

const extras: Partial<Record<ProviderKind, readonly TestUser[]>> = {
  microsoft: [
    {
      sub: '1000004',
      handle: 'dave',
      email: 'dave@outlook.example',
      emailVerified: true,
      name: 'Dave Personal',
      givenName: 'Dave',
      familyName: 'Personal',
      claims: { tid: consumerTenantId },
    },
  ],
  apple: [
    {
      sub: '1000005',
      handle: 'erin',
      email: 'x7k2q9p4r1@privaterelay.appleid.com',
      emailVerified: true,
      name: 'Erin Relay',
      givenName: 'Erin',
      familyName: 'Relay',
    },
  ],
};

/** The built-in users of a provider: alice (verified email), bob (unverified email), carol (no email), and extras. */
export const configuredUsers = (provider: ProviderKind): readonly TestUser[] => [
  ...everyone,
  ...(extras[provider] ?? []),
];

/** "Alice Liddell", or the given and family names joined. */
export const displayNameOf = (user: TestUser): string | undefined =>
  user.name ?? ([user.givenName, user.familyName].filter((part) => part !== undefined).join(' ') || undefined);
