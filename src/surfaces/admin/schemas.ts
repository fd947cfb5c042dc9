import { type TSchema, Type } from '@sinclair/typebox';
import { AdminTokenInput, adminScopes } from '../../core/admin-tokens/admin-tokens.js';
import { BackupArchive } from '../../core/backup/index.js';
import { ClientInput, ClientPatch } from '../../core/clients/client.js';
import { ConfigDocument } from '../../core/config-io/document.js';
import { ConnectionInput } from '../../core/connections/connection.js';
import { TenantId, TenantInput, TenantPatch, TenantPoliciesSchema } from '../../core/tenants/tenant.js';
import { UserInput } from '../../core/users/user.js';

// Request bodies are the core's own input schemas: the same TypeBox validates the admin API, the CLI and import.
export {
  AdminTokenInput,
  BackupArchive,
  ClientInput,
  ClientPatch,
  ConfigDocument,
  TenantInput,
  TenantPatch,
  UserInput,
};

const closed = { additionalProperties: false } as const;
const Timestamp = Type.String({ format: 'date-time' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const StringList = Type.Array(Type.String());

/** RFC 9457 problem details; `type` is the anchor of the code in docs/errors.md. */
export const Problem = Type.Object(
  {
    type: Type.String({ description: 'Link to the documentation of the error code.' }),
    title: Type.String({ description: 'The error code (docs/errors.md).' }),
    status: Type.Integer(),
    detail: Type.String(),
  },
  closed,
);

export const ClientId = Type.String({ pattern: '^[A-Za-z0-9._~-]{3,128}$' });
export const IdpId = ConnectionInput.properties.id;
export const UserId = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});

export const TenantParams = Type.Object({ tenant: TenantId }, closed);
export const ClientParams = Type.Object({ tenant: TenantId, clientId: ClientId }, closed);
export const IdpParams = Type.Object({ tenant: TenantId, idp: IdpId }, closed);
export const UserParams = Type.Object({ tenant: TenantId, userId: UserId }, closed);
export const UserIdentityParams = Type.Object({ tenant: TenantId, userId: UserId, idp: IdpId }, closed);

/** The body of `PUT …/idps/:idp`: a connection without its id (the path names it). */
export const IdpInput = Type.Omit(ConnectionInput, ['id']);

// Query strings arrive as strings (no type coercion): numbers are validated by pattern and parsed by the handler.
export const UserListQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|[1-4][0-9]{2}|500)$', description: '1–500.' })),
    after: Type.Optional(UserId),
    email: Type.Optional(
      Type.String({ minLength: 1, maxLength: 320, description: 'Only the user with this email (at most one).' }),
    ),
  },
  closed,
);
export const AuditQuery = Type.Object(
  { limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]{0,2}|1000)$', description: '1–1000.' })) },
  closed,
);
export const ExportQuery = Type.Object({ tenant: Type.Optional(TenantId) }, closed);

export const TenantView = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    policies: TenantPoliciesSchema,
    hostnames: StringList,
    createdAt: Timestamp,
  },
  closed,
);

const clientViewFields = {
  clientId: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  public: Type.Boolean(),
  redirectUris: StringList,
  callbackUrls: StringList,
  grantTypes: StringList,
  settings: Type.Object(
    {
      accessTokenTtlSeconds: Type.Optional(Type.Integer()),
      refreshTokenTtlSeconds: Type.Optional(Type.Integer()),
      refreshTokenAbsoluteTtlSeconds: Type.Optional(Type.Integer()),
      scopes: Type.Optional(StringList),
      postLogoutRedirectUris: Type.Optional(StringList),
      idTokenSignedResponseAlg: Type.Optional(Type.String()),
      allowedOrigins: Type.Optional(StringList),
    },
    closed,
  ),
  createdAt: Timestamp,
};
export const ClientView = Type.Object(clientViewFields, closed);
/** A client with its new secret: returned by create and rotate-secret only. */
export const ClientWithSecretView = Type.Object(
  {
    ...clientViewFields,
    clientSecret: Type.Optional(Type.String({ description: 'Shown once; only its SHA-256 digest is stored.' })),
  },
  closed,
);

export const IdpView = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    clientId: Type.String(),
    hasClientSecret: Type.Boolean({ description: 'The secret itself is never returned.' }),
    scopes: Type.Optional(StringList),
    endpoints: Type.Optional(Type.Record(Type.String(), Type.String())),
    emulator: Type.Optional(Type.String()),
    trustEmail: Type.Boolean(),
    settings: Type.Record(Type.String(), Type.Unknown()),
    callbackUrl: Type.String({
      description:
        'The callback URL to register at the provider: `{publicUrl}/t/{tenant}/SocialAuth/{id}AuthCallback`.',
    }),
  },
  closed,
);

const userViewFields = {
  id: Type.String(),
  tenantId: Type.String(),
  email: Nullable(Type.String()),
  emailVerified: Type.Boolean(),
  hasPassword: Type.Boolean(),
  firstName: Nullable(Type.String()),
  lastName: Nullable(Type.String()),
  displayName: Nullable(Type.String()),
  profile: Type.Record(Type.String(), Type.Unknown()),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};
export const UserView = Type.Object(userViewFields, closed);
export const IdentityView = Type.Object(
  {
    id: Type.String(),
    idp: Type.String(),
    issuer: Type.String(),
    subject: Type.String(),
    email: Nullable(Type.String()),
    emailVerified: Type.Boolean(),
    createdAt: Timestamp,
    lastLoginAt: Nullable(Timestamp),
  },
  closed,
);
export const UserDetailView = Type.Object({ ...userViewFields, identities: Type.Array(IdentityView) }, closed);
export const UserPage = Type.Object(
  {
    items: Type.Array(UserView),
    next: Nullable(Type.String({ description: 'Pass as `after` for the next page; null on the last page.' })),
  },
  closed,
);

export const KeyView = Type.Object(
  {
    kid: Type.String(),
    alg: Type.String(),
    state: Type.Union([Type.Literal('next'), Type.Literal('active'), Type.Literal('retired')]),
    createdAt: Timestamp,
    activatedAt: Nullable(Timestamp),
    retiredAt: Nullable(Timestamp),
  },
  closed,
);

export const AuditEventView = Type.Object(
  {
    id: Type.String(),
    type: Type.String(),
    outcome: Type.String(),
    actor: Nullable(Type.String()),
    clientId: Nullable(Type.String()),
    idp: Nullable(Type.String()),
    userId: Nullable(Type.String()),
    ip: Nullable(Type.String()),
    details: Type.Record(Type.String(), Type.Unknown()),
    createdAt: Timestamp,
  },
  closed,
);

const Counts = Type.Object({ created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer() }, closed);
export const ImportResultView = Type.Object(
  {
    tenants: Counts,
    clients: Counts,
    idps: Counts,
    users: Counts,
    secrets: Type.Array(
      Type.Object({ tenant: Type.String(), clientId: Type.String(), clientSecret: Type.String() }, closed),
      { description: 'Secrets generated for new confidential clients given without one: shown once.' },
    ),
  },
  closed,
);

/** `{ items: [...] }`: every list has this envelope. */
const adminTokenViewFields = {
  id: Type.String(),
  name: Type.String(),
  tenant: Nullable(TenantId),
  scopes: Type.Array(Type.Union(adminScopes.map((s) => Type.Literal(s)))),
  createdAt: Timestamp,
  revokedAt: Nullable(Timestamp),
};
export const AdminTokenView = Type.Object(adminTokenViewFields, closed);
export const AdminTokenCreatedView = Type.Object(
  { ...adminTokenViewFields, token: Type.String({ description: 'The bearer token; shown once, never again.' }) },
  closed,
);
export const AdminTokenParams = Type.Object({ id: Type.String({ pattern: '^at_[A-Za-z0-9_-]{1,64}$' }) }, closed);

export const ListOf = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item) }, closed);

/** The responses every admin route may give besides its success. */
export const problemResponses = { '4xx': Problem, '5xx': Problem };

export const RestoreResultView = Type.Object(
  {
    format: Type.String(),
    migration: Type.String({ description: 'The schema migration the archive was taken at.' }),
    takenAt: Type.String(),
    restored: Type.Record(Type.String(), Type.Integer(), { description: 'Rows written, by table.' }),
  },
  closed,
);
