import type { Static, TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { apple } from './apple.js';
import type { ConnectionConfig, Connector, ConnectorDeps } from './connector.js';
import { ConnectorError } from './errors.js';
import { facebook } from './facebook.js';
import { genericOidc } from './generic-oidc.js';
import { github } from './github.js';
import { google } from './google.js';
import { linkedin } from './linkedin.js';
import { microsoft } from './microsoft.js';
import type { ConnectorDefinition } from './shared/definition.js';

export type { ConnectorDefinition } from './shared/definition.js';
export { needsInsecureUpstreams } from './shared/endpoints.js';

/**
 * The one list of connector kinds: kind → definition. The config enum, the admin API, the CLI and the docs all derive
 * from it. Adding a provider is one file and one line here.
 */
export const connectorRegistry = {
  facebook,
  google,
  microsoft,
  linkedin,
  apple,
  github,
  oidc: genericOidc,
} as const satisfies Record<string, ConnectorDefinition>;

/** A connector kind (`facebook`, `google`, …). */
export type ConnectorType = keyof typeof connectorRegistry;

/** Every connector kind, in registry order. */
export const connectorTypes = Object.freeze(Object.keys(connectorRegistry) as ConnectorType[]);

/** True when `kind` names a registered connector. */
export const isConnectorType = (kind: string): kind is ConnectorType => Object.hasOwn(connectorRegistry, kind);

/**
 * The definition of `kind`.
 * @throws ConnectorError `invalid_config` for an unknown kind.
 */
export const connectorDefinition = (kind: string): ConnectorDefinition => {
  if (!isConnectorType(kind)) {
    throw new ConnectorError(
      'invalid_config',
      'config',
      `unknown connector kind "${kind}"; known: ${connectorTypes.join(', ')}`,
    );
  }
  return connectorRegistry[kind] as ConnectorDefinition;
};

/**
 * Validates a connection's kind-specific `settings` against the kind's schema and returns them with defaults applied.
 * The admin API and CLI call this on every write; `createConnector` calls it again.
 * @throws ConnectorError `invalid_config` (with `details.errors`, one `{ path, message }` per problem) for an unknown
 *   kind or invalid settings.
 */
export const validateConnectionSettings = (kind: string, settings: unknown): Readonly<Record<string, unknown>> => {
  const schema = connectorDefinition(kind).settingsSchema;
  const candidate = Value.Default(schema, structuredClone(settings ?? {})) as unknown;
  if (Value.Check(schema, candidate)) return candidate as Static<TObject>;
  const errors = [...Value.Errors(schema, candidate)].map((error) => ({
    path: `settings${error.path.replaceAll('/', '.')}`,
    message: error.message,
  }));
  throw new ConnectorError(
    'invalid_config',
    'config',
    `invalid ${kind} settings: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    { details: { errors } },
  );
};

/**
 * Builds the connector of one connection. Cheap: no network until a method is called.
 * @throws ConnectorError `invalid_config` for an unknown kind, invalid settings, a missing client secret, or
 *   `endpoints`/`emulator` overrides where insecure upstreams are not allowed.
 */
export const createConnector = (config: ConnectionConfig, deps: ConnectorDeps): Connector => {
  const definition = connectorDefinition(config.kind);
  const settings = validateConnectionSettings(config.kind, config.settings);
  if (definition.requiresClientSecret && (config.clientSecret === undefined || config.clientSecret.length === 0)) {
    throw new ConnectorError(
      'invalid_config',
      'config',
      `connection "${config.id}": a ${config.kind} connection needs clientSecret`,
    );
  }
  if (config.clientId.length === 0)
    throw new ConnectorError('invalid_config', 'config', `connection "${config.id}": clientId is empty`);
  return definition.create({ ...config, settings }, deps);
};

/** The one kind that names no product: any OpenID provider, known by its connection id. */
const genericKind = 'oidc' satisfies ConnectorType;

/** A connector kind that is a product (`facebook`, `github`, …): every kind but the generic one. */
export type ProductKind = Exclude<ConnectorType, typeof genericKind>;

/** A product's name as the product spells it (`Facebook`, `LinkedIn`, `GitHub`): its connector's display name. */
export type ProductName = (typeof connectorRegistry)[ProductKind]['displayName'];

/**
 * The providers apps name by product, in registry order: the STS extension grants (`grant_type=Facebook`), the
 * Security API's `IdpName` keywords and the grant types a client can be allowed all derive from this, so a new
 * provider is one line in `connectorRegistry` for all of them.
 */
export const products: readonly { readonly kind: ProductKind; readonly name: ProductName }[] = Object.freeze(
  connectorTypes
    .filter((kind): kind is ProductKind => kind !== genericKind)
    .map((kind) => ({ kind, name: connectorRegistry[kind].displayName })),
);
