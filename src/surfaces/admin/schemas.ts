import { type TSchema, Type } from '@sinclair/typebox';
import { AdminTokenInput, adminScopes } from '../../core/admin-tokens/admin-tokens.js';
import { BackupArchive } from '../../core/backup/index.js';
import { ClientInput, ClientPatch } from '../../core/clients/client.js';
import { ClientMergePatch } from '../../core/clients/clients.js';
import { ConfigDocument } from '../../core/config-io/document.js';
import { ConnectionInput } from '../../core/connections/connection.js';
import { ConnectionMergePatch } from '../../core/connections/connections.js';
import { ClientBrandingSchema } from '../../core/tenants/branding.js';
import { TenantId, TenantInput, TenantPatch, TenantPoliciesSchema } from '../../core/tenants/tenant.js';
import { UserInput } from '../../core/users/user.js';
import { UserPatch } from '../../core/users/user-care.js';

// Request bodies are the core's own input schemas: the same TypeBox validates the admin API, the CLI and import.
export {
  AdminTokenInput,
  BackupArchive,
  ClientInput,
  ClientMergePatch,
  ClientPatch,
  ConfigDocument,
  ConnectionMergePatch,
  TenantInput,
  TenantPatch,
  UserInput,
  UserPatch,
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
    prefix: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 320,
        description: 'Users whose email starts with this (case-insensitive), in email order; page with `cursor`.',
      }),
    ),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          'Users whose email, first, last or display name contains this (case-insensitive), in creation order; page with `cursor`. Each page reads at most 5,000 users, so a page may hold fewer than `limit` and still have a next one.',
      }),
    ),
    cursor: Type.Optional(
      Type.String({ maxLength: 2000, description: 'The `next` of the previous page of a `prefix` or `q` search.' }),
    ),
  },
  closed,
);
export const PasswordInput = Type.Object(
  { password: Type.String({ minLength: 8, maxLength: 1024, description: 'Hashed with argon2id.' }) },
  closed,
);
export const PasswordResetInput = Type.Object(
  {
    required: Type.Optional(
      Type.Boolean({ description: 'true (default): require a new password at the next sign-in; false: no longer.' }),
    ),
  },
  closed,
);
export const MfaResetView = Type.Object(
  { removed: Type.Integer({ description: 'Authenticator apps and recovery codes removed.' }) },
  closed,
);
export const SessionParams = Type.Object(
  { tenant: TenantId, userId: UserId, sid: Type.String({ minLength: 1, maxLength: 64 }) },
  closed,
);
export const SessionView = Type.Object(
  {
    sid: Type.String({ description: 'The public session id (the ID token `sid`).' }),
    browser: Nullable(Type.String({ description: 'Read from the User-Agent, when known.' })),
    os: Nullable(Type.String()),
    mobile: Type.Boolean(),
    userAgent: Nullable(Type.String()),
    ip: Nullable(Type.String()),
    createdAt: Timestamp,
    lastSeenAt: Timestamp,
    authTime: Timestamp,
    expiresAt: Timestamp,
  },
  closed,
);
export const SessionsEndedView = Type.Object({ ended: Type.Integer() }, closed);
export const RotateSecretInput = Type.Object(
  {
    graceSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 2592000,
        description: 'How long the old secret keeps working beside the new one (default 0: it stops at once).',
      }),
    ),
  },
  closed,
);
export const RedirectUriInput = Type.Object({ uri: Type.String({ minLength: 1, maxLength: 2000 }) }, closed);
export const CallbackUrlInput = Type.Object({ url: Type.String({ minLength: 1, maxLength: 2000 }) }, closed);
export const RedirectUriQuery = Type.Object({ uri: Type.String({ minLength: 1, maxLength: 2000 }) }, closed);
export const CallbackUrlQuery = Type.Object({ url: Type.String({ minLength: 1, maxLength: 2000 }) }, closed);
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
      branding: Type.Optional(ClientBrandingSchema),
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
  passwordResetRequired: Type.Boolean({ description: 'A password sign-in answers `password_reset_required`.' }),
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
    next: Nullable(
      Type.String({
        description:
          'Pass as `after` (creation order) or as `cursor` (a `prefix` or `q` search) for the next page; null on the last page.',
      }),
    ),
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

/** A route whose body may be left out: a missing body is validated as `{}` (every member of its schema optional). */
export const optionalBody = {
  preValidation: async (request: { body: unknown }) => {
    request.body ??= {};
  },
};
