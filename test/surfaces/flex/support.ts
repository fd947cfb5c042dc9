import { randomBytes } from 'node:crypto';
import sharetribe, { type SdkError, type SharetribeSdk, type TokenStore } from 'sharetribe-flex-sdk';
import { expect } from 'vitest';
import type { Tenant } from '../../../src/core/tenants/tenant.js';
import type { User } from '../../../src/core/users/user.js';
import type { MintRequest } from '../../../src/emulator/index.js';
import { createTestClock } from '../../../src/lib/clock.js';
import { type EmulatorHarness, startEmulator } from '../../harness/emulator.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import type { StorageKind } from '../../harness/storage.js';

/** The provider apps the marketplace's connections are registered as. */
export const facebookAppId = '1234567890';
export const googleClientId = 'marketplace-web.apps.googleusercontent.com';
export const googleAndroidClientId = 'marketplace-android.apps.googleusercontent.com';
export const oidcClientId = 'marketplace-at-acme';
export const oidcConnectionId = 'acme-sso';

/** The access token lifetime of the test client: the shortest a client may have. */
export const accessTokenTtlSeconds = 60;

/** What to mint: the emulator's mint request, with the provider app defaulting to the marketplace's. */
export type MintInput = Omit<MintRequest, 'clientId'> & { readonly clientId?: string };

export interface FlexWorld {
  readonly gh: RunningGatehouse;
  readonly idp: EmulatorHarness;
  readonly clock: ReturnType<typeof createTestClock>;
  readonly tenant: Tenant;
  /** The marketplace's public client: what the SDK uses in a browser (no secret). */
  readonly clientId: string;
  /** The marketplace's confidential client, and its secret: what the SDK uses on a server (`loginWithIdp`). */
  readonly serverClientId: string;
  readonly clientSecret: string;
  /** A fresh SDK instance of the public client (its own memory token store), as one browser holds. */
  sdk(store?: TokenStore): SharetribeSdk;
  /** A fresh SDK instance of the confidential client, with its secret, as one server request holds. */
  serverSdk(store?: TokenStore): SharetribeSdk;
  /** A unique e-mail address and IdP subject for one test. */
  unique(label: string): { email: string; sub: string };
  /** A Facebook user access token of the marketplace's app (or `clientId`'s). */
  facebookToken(request: MintInput): Promise<string>;
  /** A Google ID token for the marketplace's web client (or `clientId`). */
  googleIdToken(request: MintInput): Promise<string>;
  /** An ID token of the generic OpenID provider for the marketplace's client (or `clientId`). */
  oidcIdToken(request: MintInput): Promise<string>;
  /** A user with a password, created through the core as an admin would. */
  aUser(input: { email: string; emailVerified?: boolean; password?: string }): Promise<User>;
  close(): Promise<void>;
}

export interface FlexWorldOptions {
  readonly storage?: StorageKind;
  /** The marketplace's linking policy (Flex's rule, and the default here: `auto_link_verified`). */
  readonly linking?: 'auto_link_verified' | 'merge_needed';
}

/**
 * A running Gatehouse with one marketplace set up as a Flex app would need it: a public client for the browser and a
 * confidential one for the server, both allowed the Flex grants, and Facebook, Google and generic OIDC connections pointed at the IdP emulator.
 */
export const startFlexWorld = async (options: FlexWorldOptions = {}): Promise<FlexWorld> => {
  const idp = await startEmulator();
  const clock = createTestClock();
  const gh = await startGatehouse({ clock, ...(options.storage === undefined ? {} : { storage: options.storage }) });
  const core = gh.core;
  const tenant = await core.tenants.create({
    id: `flex-${randomBytes(3).toString('hex')}`,
    policies: { linking: options.linking ?? 'auto_link_verified', mfa: 'off' },
  });
  const { client } = await core.clients.create(tenant.id, {
    name: 'Marketplace web',
    public: true,
    grantTypes: ['client_credentials', 'password', 'refresh_token'],
    settings: { accessTokenTtlSeconds },
  });
  const { client: server, clientSecret } = await core.clients.create(tenant.id, {
    name: 'Marketplace server',
    grantTypes: ['client_credentials', 'password', 'refresh_token'],
    settings: { accessTokenTtlSeconds },
  });
  if (clientSecret === undefined) throw new Error('a confidential client has a secret');
  // A marketplace in use has its signing keys (its first anonymous token makes them); "writes nothing" assertions
  // then see only what a request itself writes.
  await core.keys.warm(tenant.id);
  await idp.registerApp({ provider: 'facebook', clientId: facebookAppId, clientSecret: 'facebook-app-secret' });
  await idp.registerApp({ provider: 'google', clientId: googleClientId, clientSecret: 'google-secret' });
  await idp.registerApp({ provider: 'oidc', clientId: oidcClientId, clientSecret: 'acme-secret' });
  await core.connections.set(tenant.id, {
    id: 'facebook',
    kind: 'facebook',
    clientId: facebookAppId,
    clientSecret: 'facebook-app-secret',
    emulator: idp.url,
    trustEmail: true,
  });
  await core.connections.set(tenant.id, {
    id: 'google',
    kind: 'google',
    clientId: googleClientId,
    clientSecret: 'google-secret',
    emulator: idp.url,
    trustEmail: true,
    settings: { audiences: [googleAndroidClientId] },
  });
  await core.connections.set(tenant.id, {
    id: oidcConnectionId,
    kind: 'oidc',
    clientId: oidcClientId,
    clientSecret: 'acme-secret',
    emulator: idp.url,
    trustEmail: true,
    settings: { issuer: `${idp.url}/oidc` },
  });

  let counter = 0;
  const mint = async (provider: 'facebook' | 'google' | 'oidc', appId: string, request: MintInput) => {
    const minted = await idp.mint(provider, { ...request, clientId: request.clientId ?? appId });
    const token = provider === 'facebook' ? minted.access_token : minted.id_token;
    if (token === undefined) throw new Error(`the emulator minted no token for ${provider}`);
    return token;
  };
  return {
    gh,
    idp,
    clock,
    tenant,
    clientId: client.clientId,
    serverClientId: server.clientId,
    clientSecret,
    sdk: (store) =>
      sharetribe.createInstance({
        clientId: client.clientId,
        baseUrl: gh.url,
        tokenStore: store ?? sharetribe.tokenStore.memoryStore(),
      }),
    serverSdk: (store) =>
      sharetribe.createInstance({
        clientId: server.clientId,
        clientSecret,
        baseUrl: gh.url,
        tokenStore: store ?? sharetribe.tokenStore.memoryStore(),
      }),
    unique: (label) => {
      counter += 1;
      const tag = `${label}-${counter}-${randomBytes(3).toString('hex')}`;
      return { email: `${tag}@example.com`, sub: `${Date.now()}${counter}${randomBytes(2).readUInt16BE()}` };
    },
    facebookToken: (request) => mint('facebook', facebookAppId, request),
    googleIdToken: (request) => mint('google', googleClientId, request),
    oidcIdToken: (request) => mint('oidc', oidcClientId, request),
    aUser: (input) =>
      core.users.create(tenant.id, {
        email: input.email,
        emailVerified: input.emailVerified ?? true,
        ...(input.password === undefined ? {} : { password: input.password }),
        firstName: 'Existing',
        lastName: 'Member',
      }),
    close: async () => {
      await gh.close();
      await idp.close();
    },
  };
};

/** Awaits a promise the SDK must reject, and returns what the SDK hands the caller: the status and decoded body. */
export const sdkFailure = async (promise: Promise<unknown>): Promise<{ status: number; data: unknown }> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as SdkError,
  );
  expect(error, 'the SDK call should have failed').toBeDefined();
  if (error?.status === undefined) throw error ?? new Error('no response');
  return { status: error.status, data: error.data };
};

/** The users and identities of the marketplace, for asserting what a request wrote. */
export const accountsOf = async (world: FlexWorld) => {
  const db = world.gh.storage.db;
  const users = await db.selectFrom('users').selectAll().where('tenant_id', '=', world.tenant.id).execute();
  const identities = await db.selectFrom('identities').selectAll().where('tenant_id', '=', world.tenant.id).execute();
  return { users, identities };
};
