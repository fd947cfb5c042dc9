import { generateKeyPairSync } from 'node:crypto';
import { type ConnectorType, connectorTypes } from '../../connectors/registry.js';
import { randomToken } from '../../lib/crypto.js';
import { tenantsRepo } from '../../store/repositories/tenants.js';
import { grantTypes } from '../clients/client.js';
import type { ConfigDocument } from '../config-io/document.js';
import type { ConfigIoUseCases } from '../config-io/index.js';
import type { CoreDeps } from '../deps.js';

/** The tenant the demo creates. */
export const demoTenantId = 'demo';
export const demoClientId = 'demo-client';
export const demoUserEmail = 'demo@example.com';

/** Redirect URIs of the demo client: a local app on the usual dev ports, and the hosted OIDC debuggers. */
export const demoRedirectUris = [
  'http://localhost:3000/callback',
  'http://localhost:8080/callback',
  'http://127.0.0.1:3000/callback',
  'https://oidcdebugger.com/debug',
  'https://openidconnect.net/callback',
];

/** What the demo seeding did; the secrets exist only in this value (shown once). */
export type DemoSeedResult =
  | { readonly created: false }
  | {
      readonly created: true;
      readonly tenantId: string;
      readonly clientId: string;
      readonly clientSecret: string;
      readonly user: { readonly email: string; readonly password: string };
      readonly idps: readonly string[];
      readonly emulatorUrl: string;
    };

/** Kind-specific settings the emulator needs (Apple signs with a key of ours; OIDC discovers from an issuer). */
const demoSettings = (kind: ConnectorType, emulatorUrl: string): Record<string, unknown> => {
  switch (kind) {
    case 'apple':
      return { teamId: 'DEMOTEAM01', keyId: 'DEMOKEY001' };
    case 'oidc':
      return { issuer: `${emulatorUrl}/oidc`, displayName: 'Emulated OpenID provider' };
    default:
      return {};
  }
};

const demoIdpClientId = (kind: ConnectorType): string => `demo-${kind}-client`;

/**
 * The app each demo connection is registered as at the emulator mounted beside it (`/_emulator`), known from the
 * start as a real provider knows its apps: the emulator refuses any other client id or secret. The secrets mean
 * something to that emulator only. Apple has none: its client secret is a JWT signed with the connection's key.
 */
export const demoIdpApps: readonly { provider: ConnectorType; clientId: string; clientSecret?: string }[] =
  connectorTypes.map((kind) =>
    kind === 'apple'
      ? { provider: kind, clientId: demoIdpClientId(kind) }
      : { provider: kind, clientId: demoIdpClientId(kind), clientSecret: `demo-${kind}-secret` },
  );

const demoIdpSecret = (kind: ConnectorType): string =>
  kind === 'apple'
    ? // Apple's client secret is a .p8 (P-256) key, any key: the emulator checks the JWT's shape, not its signature.
      (generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string)
    : (demoIdpApps.find((app) => app.provider === kind)?.clientSecret ?? '');

/** The demo configuration: one tenant, one confidential client allowed every grant, one connection per IdP kind. */
export const demoDocument = (publicUrl: string, userPassword: string): ConfigDocument => {
  const emulatorUrl = `${publicUrl}/_emulator`;
  return {
    version: 1,
    tenants: [
      {
        id: demoTenantId,
        name: 'Demo',
        policies: { linking: 'merge_needed', mfa: 'off' },
        clients: [
          {
            clientId: demoClientId,
            name: 'Demo client',
            public: false,
            redirectUris: demoRedirectUris,
            callbackUrls: demoRedirectUris,
            grantTypes: [...grantTypes],
          },
        ],
        idps: connectorTypes.map((kind) => ({
          id: kind,
          kind,
          clientId: demoIdpClientId(kind),
          clientSecret: demoIdpSecret(kind),
          emulator: emulatorUrl,
          trustEmail: kind === 'facebook',
          settings: demoSettings(kind, emulatorUrl),
        })),
        users: [
          {
            email: demoUserEmail,
            password: userPassword,
            emailVerified: true,
            firstName: 'Demo',
            lastName: 'User',
          },
        ],
      },
    ],
  };
};

/**
 * Creates the `demo` tenant on an empty store (no tenant at all): a confidential client allowed every grant, an IdP
 * connection of every kind pointing at the local emulator (`{publicUrl}/_emulator`), and a demo user with a
 * generated password. Does nothing on a store that has any tenant. The caller decides the mode (never production).
 * @returns the client secret and user password on creation, the only time they are shown.
 */
export const seedDemo = async (
  deps: CoreDeps,
  configIo: ConfigIoUseCases,
  options: { publicUrl: string },
): Promise<DemoSeedResult> => {
  if ((await tenantsRepo.list(deps.db)).length > 0) return { created: false };
  const password = randomToken(12);
  const document = demoDocument(options.publicUrl, password);
  const result = await configIo.importConfig(document, { actor: 'system', atStart: true });
  const secret = result.secrets.find((s) => s.clientId === demoClientId);
  // Another instance seeded the same empty store a moment earlier: its secret was the one shown.
  if (secret === undefined) return { created: false };
  return {
    created: true,
    tenantId: demoTenantId,
    clientId: demoClientId,
    clientSecret: secret.clientSecret,
    user: { email: demoUserEmail, password },
    idps: [...connectorTypes],
    emulatorUrl: `${options.publicUrl}/_emulator`,
  };
};
