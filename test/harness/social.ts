import { generateKeyPairSync } from 'node:crypto';
import { type ClientWithSecret, grantTypes } from '../../src/core/clients/client.js';
import type { Tenant } from '../../src/core/tenants/tenant.js';
import { type EmulatorHarness, startEmulator } from './emulator.js';
import { type RunningGatehouse, type StartOptions, startGatehouse } from './gatehouse.js';

/** The app ids the fixture's connections are registered with at each emulated provider. */
export const apps = {
  facebook: 'fb-app-1001',
  google: 'google-web.apps.example',
  microsoft: 'ms-app-1001',
  linkedin: 'li-app-1001',
  apple: 'com.example.app',
  github: 'gh-app-1001',
  oidc: 'oidc-app-1001',
} as const;

/** A Sign in with Apple .p8 key (EC P-256, PKCS#8 PEM), as Apple hands developers. */
const applePrivateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
  format: 'pem',
  type: 'pkcs8',
}) as string;

export interface SocialFixture {
  readonly gh: RunningGatehouse;
  readonly idp: EmulatorHarness;
  readonly tenant: Tenant;
  /** A confidential client allowed every grant, including the STS provider grants and token exchange. */
  readonly client: ClientWithSecret;
  readonly clientId: string;
  readonly clientSecret: string;
  close(): Promise<void>;
}

/**
 * A running Gatehouse and IdP emulator, with one tenant whose connections of every kind point at the emulator, and
 * a confidential client allowed every grant.
 */
export const startSocialFixture = async (
  options: {
    tenantId?: string;
    policies?: { linking?: 'merge_needed' | 'auto_link_verified'; mfa?: 'off' | 'social' | 'all' };
    trustEmail?: boolean;
    start?: StartOptions;
  } = {},
): Promise<SocialFixture> => {
  const idp = await startEmulator();
  const gh = await startGatehouse(options.start);
  const tenant = await gh.core.tenants.create({
    id: options.tenantId ?? 'social',
    policies: { linking: 'merge_needed', mfa: 'off', ...options.policies },
  });
  for (const [kind, clientId] of Object.entries(apps)) {
    const provider = kind as keyof typeof apps;
    await idp.registerApp(
      provider === 'apple' ? { provider, clientId } : { provider, clientId, clientSecret: `${kind}-secret` },
    );
    await gh.core.connections.set(tenant.id, {
      id: kind,
      kind,
      clientId,
      clientSecret: kind === 'apple' ? applePrivateKey : `${kind}-secret`,
      emulator: idp.url,
      trustEmail: options.trustEmail ?? true,
      ...(kind === 'oidc' ? { settings: { issuer: 'https://idp.example' } } : {}),
      ...(kind === 'microsoft' ? { settings: { tenant: 'common' } } : {}),
      ...(kind === 'apple' ? { settings: { teamId: 'TEAM123456', keyId: 'KEY1234567' } } : {}),
    });
  }
  const client = await gh.core.clients.create(tenant.id, {
    clientId: `${tenant.id}-app`,
    name: 'Social app',
    redirectUris: ['http://127.0.0.1:9/callback'],
    grantTypes: [...grantTypes],
    settings: { scopes: ['openid', 'profile', 'email', 'offline_access', 'api', 'orders:read'] },
  });
  return {
    gh,
    idp,
    tenant,
    client,
    clientId: client.client.clientId,
    clientSecret: client.clientSecret ?? '',
    close: async () => {
      await gh.close();
      await idp.close();
    },
  };
};

/** A form POST; answers the status and the parsed JSON body. */
export const postForm = async (
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    headers: response.headers,
  };
};

/** The payload of a JWT, without verifying it (tests verify signatures separately where it matters). */
export const claimsOf = (jwt: unknown): Record<string, unknown> => {
  if (typeof jwt !== 'string') throw new Error(`not a JWT: ${String(jwt)}`);
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
};
