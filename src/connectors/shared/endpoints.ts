import { GatehouseError } from '../../core/errors.js';
import type { ConnectionConfig, ConnectorDeps } from '../connector.js';

/** A connector's endpoints by documented name (`authorization`, `token`, `jwks`, …). */
export type Endpoints<Name extends string> = Readonly<Record<Name, string>>;

/**
 * The endpoints a connection uses: the provider's own, or, where insecure upstreams are allowed, the local emulator's
 * (`config.emulator`), then any named `config.endpoints` overrides on top.
 * @throws GatehouseError `invalid_request` when overrides are given but not allowed, name an endpoint the connector
 *   does not have, or are not http(s) URLs.
 */
export const resolveEndpoints = <Name extends string>(
  config: ConnectionConfig,
  deps: ConnectorDeps,
  defaults: Endpoints<Name>,
  emulated: (emulatorBase: string) => Endpoints<Name>,
): Endpoints<Name> => {
  const overrides = config.endpoints ?? {};
  if ((config.emulator !== undefined || Object.keys(overrides).length > 0) && !deps.allowInsecureUpstreams) {
    throw new GatehouseError(
      'invalid_request',
      `connection "${config.id}": endpoint overrides and the emulator are accepted only in development or test mode, or with allowInsecureUpstreams`,
    );
  }
  const names = Object.keys(defaults) as Name[];
  const resolved: Record<string, string> = {
    ...(config.emulator === undefined
      ? defaults
      : emulated(httpUrl(config, 'emulator', config.emulator).replace(/\/+$/, ''))),
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (!names.includes(name as Name)) {
      throw new GatehouseError(
        'invalid_request',
        `connection "${config.id}": unknown endpoint "${name}"; ${config.kind} has ${names.join(', ')}`,
      );
    }
    resolved[name] = httpUrl(config, name, value);
  }
  return resolved as Endpoints<Name>;
};

/** `value`, when it is an absolute http(s) URL. */
const httpUrl = (config: ConnectionConfig, name: string, value: string): string => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new GatehouseError('invalid_request', `connection "${config.id}": ${name} must be an http(s) URL`);
  }
  return value;
};

/**
 * Throws unless `url` is https, or insecure upstreams are allowed. For URLs not covered by `resolveEndpoints`
 * (a generic OIDC issuer from settings, endpoints found by discovery).
 */
export const requireHttps = (config: ConnectionConfig, deps: ConnectorDeps, name: string, url: string): string => {
  const secure = url.startsWith('https://');
  if (!secure && !(deps.allowInsecureUpstreams && url.startsWith('http://'))) {
    throw new GatehouseError('invalid_request', `connection "${config.id}": ${name} must be an https URL`);
  }
  return url;
};
