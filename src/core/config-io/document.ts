import { type Static, Type } from '@sinclair/typebox';
import { ClientInput } from '../clients/client.js';
import { ConnectionInput } from '../connections/connection.js';
import { TenantId, TenantInput, TenantPoliciesSchema } from '../tenants/tenant.js';
import { UserInput } from '../users/user.js';

const clientFields = ClientInput.properties;
const connectionFields = ConnectionInput.properties;
const userFields = UserInput.properties;

/** A client as written in a configuration document: plaintext secret on the way in, its digest on the way out. */
export const DocumentClient = Type.Object(
  {
    clientId: Type.String({ pattern: '^[A-Za-z0-9._~-]{3,128}$', description: 'The client id (globally unique).' }),
    name: clientFields.name,
    clientSecret: Type.Optional(
      Type.String({
        minLength: 16,
        maxLength: 512,
        description:
          'A secret chosen by the operator (at least 16 characters); stored as its SHA-256 digest. Omit it and a confidential client gets a generated secret, reported once by the import.',
      }),
    ),
    clientSecretDigest: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_-]{43}$',
        description: 'The stored SHA-256 digest of the secret (base64url), as `export` writes it.',
      }),
    ),
    public: clientFields.public,
    redirectUris: clientFields.redirectUris,
    callbackUrls: clientFields.callbackUrls,
    grantTypes: clientFields.grantTypes,
    settings: clientFields.settings,
  },
  { additionalProperties: false },
);
export type DocumentClient = Static<typeof DocumentClient>;

/** An IdP connection as written in a configuration document. */
export const DocumentIdp = Type.Object(
  {
    id: connectionFields.id,
    kind: connectionFields.kind,
    clientId: connectionFields.clientId,
    clientSecret: connectionFields.clientSecret,
    clientSecretEncrypted: connectionFields.clientSecretEncrypted,
    scopes: connectionFields.scopes,
    endpoints: connectionFields.endpoints,
    emulator: connectionFields.emulator,
    trustEmail: connectionFields.trustEmail,
    settings: connectionFields.settings,
  },
  { additionalProperties: false },
);
export type DocumentIdp = Static<typeof DocumentIdp>;

/** A user as written in a configuration document: a plaintext password on the way in, its argon2id hash on the way out. */
export const DocumentUser = Type.Object(
  {
    email: Type.String({
      minLength: 3,
      maxLength: 320,
      description: 'The user is matched by this (normalised) email.',
    }),
    password: userFields.password,
    passwordHash: userFields.passwordHash,
    emailVerified: userFields.emailVerified,
    firstName: userFields.firstName,
    lastName: userFields.lastName,
    displayName: userFields.displayName,
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
  },
  { additionalProperties: false },
);
export type DocumentUser = Static<typeof DocumentUser>;

export const DocumentTenant = Type.Object(
  {
    id: TenantId,
    name: TenantInput.properties.name,
    policies: Type.Optional(Type.Partial(TenantPoliciesSchema)),
    hostnames: TenantInput.properties.hostnames,
    clients: Type.Optional(Type.Array(DocumentClient, { maxItems: 1000 })),
    idps: Type.Optional(Type.Array(DocumentIdp, { maxItems: 500 })),
    users: Type.Optional(Type.Array(DocumentUser, { maxItems: 10000 })),
  },
  { additionalProperties: false },
);
export type DocumentTenant = Static<typeof DocumentTenant>;

/**
 * A configuration document: tenants with their clients, IdP connections and users (see docs/import-export.md).
 * `import` accepts plaintext secrets or the digests/sealed values `export` writes; `export` never writes a plaintext
 * secret.
 */
export const ConfigDocument = Type.Object(
  {
    version: Type.Optional(Type.Literal(1, { description: 'Format version; 1.' })),
    tenants: Type.Array(DocumentTenant, { maxItems: 500 }),
  },
  { additionalProperties: false },
);
export type ConfigDocument = Static<typeof ConfigDocument>;

/** What one import did, by kind of thing. */
export interface ImportCounts {
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
}

/** The outcome of an import. `secrets` holds the secrets generated for new confidential clients: shown once. */
export interface ImportResult {
  readonly tenants: ImportCounts;
  readonly clients: ImportCounts;
  readonly idps: ImportCounts;
  readonly users: ImportCounts;
  readonly secrets: readonly { readonly tenant: string; readonly clientId: string; readonly clientSecret: string }[];
}
