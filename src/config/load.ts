import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from '../core/errors.js';
import { envAliases, envName } from './env-names.js';
import { type Config, ConfigSchema } from './schema.js';

type Raw = Record<string, unknown>;

const coerce = (field: string, text: string): unknown => {
  const schema = ConfigSchema.properties[field as keyof Config] as { type?: string; anyOf?: unknown };
  if (schema.type === 'integer') return /^-?\d+$/.test(text.trim()) ? Number(text) : text;
  if (schema.type === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(text)) return true;
    if (/^(0|false|no|off)$/i.test(text)) return false;
    return text;
  }
  return text;
};

const fromEnv = (env: NodeJS.ProcessEnv): Raw => {
  const raw: Raw = {};
  for (const field of Object.keys(ConfigSchema.properties)) {
    const alias = envAliases[field as keyof Config];
    const value = env[envName(field)] ?? (alias === undefined ? undefined : env[alias]);
    if (value !== undefined && value !== '') raw[field] = coerce(field, value);
  }
  if (raw.mode === undefined && (env.NODE_ENV === 'production' || env.NODE_ENV === 'test')) raw.mode = env.NODE_ENV;
  return raw;
};

const fromFile = (path: string): Raw => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`config file ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Raw;
  } catch {
    throw new ConfigError(`config file ${path}: not a JSON object`);
  }
};

export interface LoadConfigOptions {
  /** Command-line flags, already mapped to config field names; undefined values are ignored. */
  readonly flags?: Readonly<Record<string, unknown>>;
  readonly env?: NodeJS.ProcessEnv;
  readonly configFile?: string;
}

/**
 * Builds the process config from defaults < config file < environment < flags, validates all of it, and returns it
 * frozen.
 * @throws ConfigError naming every wrong value, one per line (`GATEHOUSE_PORT (port): must be ≤ 65535`).
 */
export const loadConfig = ({ flags = {}, env = process.env, configFile }: LoadConfigOptions = {}): Readonly<Config> => {
  const file = configFile ?? env.GATEHOUSE_CONFIG;
  const merged: Raw = {
    ...(file === undefined ? {} : fromFile(file)),
    ...fromEnv(env),
    ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)),
  };
  const withDefaults = Value.Default(ConfigSchema, Value.Clone(merged)) as Raw;
  const problems = [...Value.Errors(ConfigSchema, withDefaults)].map((e) => {
    const field = e.path.replace(/^\//, '').split('/')[0] ?? '';
    const known = field in ConfigSchema.properties;
    const name = known ? `${envName(field)} (${field})` : field || '(config)';
    const shown =
      known && (ConfigSchema.properties[field as keyof Config] as { secret?: boolean }).secret
        ? ''
        : ` (got ${JSON.stringify(withDefaults[field])})`;
    return known ? `${name}: ${e.message}${shown}` : `${name}: unknown setting`;
  });
  const config = withDefaults as Config;
  if (problems.length === 0 && config.mode === 'production') {
    if (config.masterKey === undefined) problems.push(`${envName('masterKey')} (masterKey): required in production`);
    if (config.publicUrl === undefined || !config.publicUrl.startsWith('https://'))
      problems.push(`${envName('publicUrl')} (publicUrl): must be an https URL in production`);
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)].join('\n'));
  return Object.freeze(config);
};

/** The public URL, defaulted from the port, without a trailing slash. */
export const publicUrlOf = (config: Config, port = config.port): string =>
  (config.publicUrl ?? `http://localhost:${port}`).replace(/\/+$/, '');

/** Development conveniences (demo tenant, emulator, generated secrets) are on only outside production. */
export const isDevLike = (config: Config): boolean => config.mode !== 'production';
