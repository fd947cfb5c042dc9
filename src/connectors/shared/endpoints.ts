import type { ConnectionConfig, ConnectorDeps } from '../connector.js';
import { ConnectorError } from '../errors.js';

/** A connector's endpoints by documented name (`authorization`, `token`, `jwks`, …). */
export type Endpoints<Name extends string> = Readonly<Record<Name, string>>;

/**
 * Why `endpoints`/`emulator` of a connection cannot be used here, or undefined when they can. https `endpoints`
 * overrides are accepted everywhere (GitHub Enterprise Server, Entra External ID, sovereign clouds): the SSRF-safe
 * fetch still refuses non-public addresses. Plain http and the emulator need `allowInsecureUpstreams` (development,
 * test, or the explicit opt-in).
 */
export const overrideProblem = (
  overrides: {
    readonly endpoints?: Readonly<Record<string, string>> | undefined;
    readonly emulator?: string | undefined;
  },
  allowInsecureUpstreams: boolean,
): string | undefined => {
  if (allowInsecureUpstreams) return undefined;
  if (overrides.emulator !== undefined)
    return 'the emulator is accepted only in development or test mode, or with allowInsecureUpstreams';
  for (const [name, value] of Object.entries(overrides.endpoints ?? {})) {
    if (!value.startsWith('https://'))
      return `endpoint "${name}" must be an https URL outside development or test mode (or set allowInsecureUpstreams)`;
  }
  return undefined;
};

/** Whether `overrides` need `allowInsecureUpstreams`: the emulator, or an `endpoints` URL that is not https. */
export const needsInsecureUpstreams = (overrides: {
  readonly endpoints?: Readonly<Record<string, string>> | undefined;
  readonly emulator?: string | undefined;
}): boolean => overrideProblem(overrides, false) !== undefined;

/**
 * The endpoints a connection uses: the provider's own, or, where insecure upstreams are allowed, the local emulator's
 * (`config.emulator`), then any named `config.endpoints` overrides on top (https everywhere, http only where insecure
 * upstreams are allowed).
 * @throws ConnectorError `invalid_config` when overrides are not allowed (`overrideProblem`), name an endpoint the
 *   connector does not have, or are not http(s) URLs.
 */
export const resolveEndpoints = <Name extends string>(
  config: ConnectionConfig,
  deps: ConnectorDeps,
  defaults: Endpoints<Name>,
  emulated: (emulatorBase: string) => Endpoints<Name>,
): Endpoints<Name> => {
  const overrides = config.endpoints ?? {};
  const problem = overrideProblem(config, deps.allowInsecureUpstreams);
  if (problem !== undefined)
    throw new ConnectorError('invalid_config', 'config', `connection "${config.id}": ${problem}`);
  const names = Object.keys(defaults) as Name[];
  const resolved: Record<string, string> = {
    ...(config.emulator === undefined
      ? defaults
      : emulated(httpUrl(config, 'emulator', config.emulator).replace(/\/+$/, ''))),
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (!names.includes(name as Name)) {
      throw new ConnectorError(
        'invalid_config',
        'config',
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
    throw new ConnectorError('invalid_config', 'config', `connection "${config.id}": ${name} must be an http(s) URL`);
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
    throw new ConnectorError('invalid_config', 'config', `connection "${config.id}": ${name} must be an https URL`);
  }
  return url;
};
