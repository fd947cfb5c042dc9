import { type Static, type TObject, Type } from '@sinclair/typebox';
import type { ConnectionConfig, Connector, ConnectorDeps, PresentedToken } from '../connector.js';

/** A connection whose kind-specific `settings` were validated against its connector's `settingsSchema`. */
export type ConnectionOf<Schema extends TObject> = Omit<ConnectionConfig, 'settings'> & {
  readonly settings: Static<Schema>;
};

/** How a connector implementation is registered. `registry.ts` is a list of these and nothing else. */
export interface ConnectorDefinition<Schema extends TObject = TObject> {
  readonly displayName: string;
  /** Token kinds `verifyToken` accepts from native clients. */
  readonly tokenKinds: readonly PresentedToken['kind'][];
  /** The kind-specific `settings` of a connection; descriptions are operator documentation. */
  readonly settingsSchema: Schema;
  /** Names accepted in a connection's `endpoints` overrides. */
  readonly endpointNames: readonly string[];
  /** Whether a connection must carry `clientSecret` (Apple: the .p8 key in PEM). */
  readonly requiresClientSecret: boolean;
  /** Builds the connector for one connection. Throws ConnectorError `invalid_config` for an unusable config. */
  create(config: ConnectionOf<Schema>, deps: ConnectorDeps): Connector;
}

/**
 * Keeps `config.settings` typed from `settingsSchema` inside each connector file, and `displayName` as the literal it
 * is (the product names apps use, `LinkedIn` and `GitHub`, are derived from it in `registry.ts`).
 */
export const defineConnector = <Schema extends TObject, const Name extends string>(
  definition: ConnectorDefinition<Schema> & { readonly displayName: Name },
) => definition;

/** The `audiences` setting every OpenID Connect kind shares. */
export const audiencesSetting = Type.Optional(
  Type.Array(Type.String({ minLength: 1 }), {
    maxItems: 20,
    description:
      'Further client ids whose ID tokens this connection accepts from native apps (for example the iOS and Android clients of the same project). Redirect sign-ins always use `clientId`.',
  }),
);

/** The connection's own client id first, then its extra `audiences`. */
export const audiencesOf = (config: ConnectionConfig, extra: readonly string[] | undefined): readonly string[] => [
  config.clientId,
  ...(extra ?? []).filter((aud) => aud !== config.clientId),
];

/** The client secret, which `createConnector` has already required for kinds that need one. */
export const secretOf = (config: ConnectionConfig): string => config.clientSecret ?? '';
