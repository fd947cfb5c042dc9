import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSecrets } from '../../src/compose.js';
import { envName } from '../../src/config/env-names.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { ConfigError } from '../../src/core/errors.js';

type Source = { env: string } | { file: unknown };

/** One wrong value per setting; a setting added to the schema without an entry here fails the first test. */
const wrong: Record<string, Source | 'any string is valid'> = {
  mode: { env: 'staging' },
  host: { file: '' },
  port: { env: '99999' },
  publicUrl: { env: 'ftp://id.example' },
  dataDir: { file: '' },
  databaseUrl: { env: 'mysql://db.example/gatehouse' },
  databaseSchema: { env: 'Bad-Schema' },
  databasePoolSize: { env: '0' },
  databasePreparedStatements: { env: 'sometimes' },
  databaseTimeoutMs: { env: '50' },
  redisUrl: { env: 'http://cache.example' },
  redisTimeoutMs: { env: '5000' },
  masterKey: { file: '' },
  adminToken: { env: 'too-short' },
  logLevel: { env: 'loud' },
  smtpUrl: { env: 'http://mail.example' },
  mailFrom: 'any string is valid',
  importFile: { file: '' },
  upstreamTimeoutMs: { env: '5' },
  allowInsecureUpstreams: { env: 'maybe' },
  allowPrivateUpstreams: { env: 'maybe' },
  metricsToken: { env: 'too-short' },
  shutdownGraceMs: { env: '10' },
  demo: { env: 'maybe' },
  emulator: { env: 'maybe' },
  trustProxy: { env: 'maybe' },
};

const fields = Object.keys(ConfigSchema.properties);

const load = (source: { env?: Record<string, string>; file?: Record<string, unknown> }): string => {
  let configFile: string | undefined;
  if (source.file !== undefined) {
    configFile = join(tmpdir(), `gatehouse-config-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(configFile, JSON.stringify(source.file));
  }
  try {
    loadConfig({ env: source.env ?? {}, ...(configFile === undefined ? {} : { configFile }) });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted the configuration');
};

describe('loadConfig: every wrong value is one clear line naming it', () => {
  it('has a wrong value for every setting of the schema', () => {
    expect(Object.keys(wrong).sort()).toEqual([...fields].sort());
  });

  it.each(
    Object.entries(wrong).filter(([, source]) => typeof source !== 'string') as [string, Source][],
  )('%s', (field, source) => {
    const message =
      'env' in source ? load({ env: { [envName(field)]: source.env } }) : load({ file: { [field]: source.file } });
    const lines = message.split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${envName(field)} \\(${field}\\): \\S`));
  });

  it('names every wrong value at once, one line each', () => {
    const env = Object.fromEntries(
      Object.entries(wrong).flatMap(([field, source]) =>
        typeof source !== 'string' && 'env' in source ? [[envName(field), source.env]] : [],
      ),
    );
    const lines = load({ env }).split('\n');
    expect(lines.map((line) => line.split(' ')[0]).sort()).toEqual(Object.keys(env).sort());
  });

  it('shows the wrong value, except for secrets', () => {
    expect(load({ env: { GATEHOUSE_PORT: '99999' } })).toBe(
      'GATEHOUSE_PORT (port): Expected integer to be less or equal to 65535 (got 99999)',
    );
    const secret = load({ env: { GATEHOUSE_ADMIN_TOKEN: 'too-short' } });
    expect(secret).toMatch(/^GATEHOUSE_ADMIN_TOKEN \(adminToken\): /);
    expect(secret).not.toContain('too-short');
  });

  it('accepts the platform names (PORT, DATABASE_URL) and names the setting when they are wrong', () => {
    expect(load({ env: { PORT: 'eighty' } })).toBe('GATEHOUSE_PORT (port): Expected integer (got "eighty")');
    expect(loadConfig({ env: { PORT: '8080', DATABASE_URL: 'postgres://db/x' } })).toMatchObject({
      port: 8080,
      databaseUrl: 'postgres://db/x',
    });
  });

  it('names an unknown setting of a config file', () => {
    expect(load({ file: { colour: 'red' } })).toBe('colour: unknown setting');
  });

  it('refuses production without a master key or with an http public URL', () => {
    expect(load({ env: { NODE_ENV: 'production', GATEHOUSE_PUBLIC_URL: 'http://id.example' } }).split('\n')).toEqual([
      'GATEHOUSE_MASTER_KEY (masterKey): required in production',
      'GATEHOUSE_PUBLIC_URL (publicUrl): must be an https URL in production',
    ]);
  });

  it('refuses a master key that is not 32 bytes when the secrets are resolved', () => {
    const config = loadConfig({ env: { GATEHOUSE_MASTER_KEY: 'not-32-bytes', GATEHOUSE_MODE: 'test' } });
    expect(() => resolveSecrets(config)).toThrow(
      new ConfigError('GATEHOUSE_MASTER_KEY (masterKey): must be 32 bytes as 64 hex characters or base64url'),
    );
  });
});
