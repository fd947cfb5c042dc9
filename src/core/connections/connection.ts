import { type Static, Type } from '@sinclair/typebox';
import { connectorTypes } from '../../connectors/registry.js';

export const ConnectionInput = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9_-]{0,62}$',
      description: 'Tenant-unique connection id (`facebook`, `google`, `acme-okta`); the `idp_id` clients send.',
    }),
    kind: Type.Union(
      connectorTypes.map((t) => Type.Literal(t)),
      { description: 'Which provider implementation.' },
    ),
    clientId: Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'The app id / OAuth client id at the provider.',
    }),
    clientSecret: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 10000,
        description: 'The app secret (Apple: the .p8 key in PEM). Encrypted at rest.',
      }),
    ),
    clientSecretEncrypted: Type.Optional(
      Type.String({
        pattern: '^v1\\.',
        description: "The secret as exported: sealed with this deployment's master key.",
      }),
    ),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true })),
    endpoints: Type.Optional(Type.Record(Type.String(), Type.String({ pattern: '^https?://' }))),
    emulator: Type.Optional(
      Type.String({
        pattern: '^https?://',
        description: 'Base URL of the local IdP emulator (development/test only).',
      }),
    ),
    trustEmail: Type.Optional(
      Type.Boolean({
        description: "Count this connection's emails as verified where the provider does not say (Facebook).",
      }),
    ),
    settings: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Kind-specific settings.' })),
  },
  { additionalProperties: false },
);
export type ConnectionInput = Static<typeof ConnectionInput>;

/** A connection as shown to admins: the secret never leaves, only whether one is set. */
export interface ConnectionView {
  readonly id: string;
  readonly kind: string;
  readonly clientId: string;
  readonly hasClientSecret: boolean;
  readonly scopes?: readonly string[];
  readonly endpoints?: Readonly<Record<string, string>>;
  readonly emulator?: string;
  readonly trustEmail: boolean;
  readonly settings: Readonly<Record<string, unknown>>;
}
