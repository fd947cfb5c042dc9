import { describe, expect, it, vi } from 'vitest';
import { runGatehouseInProcess } from './in-process.js';
import { cleanEnv, runGatehouse, tempDir } from './spawn-cli.js';

vi.setConfig({ testTimeout: 180_000 });

const prefix = 'gatehouse: configuration: ';

// The first test runs the binary; the others run the CLI's entry in this process (each refusal comes before a store is
// opened or a port is bound).
describe('a wrong configuration at start: one line per wrong value on stderr, exit code 2', () => {
  it('names every wrong value of serve at once', async () => {
    const result = await runGatehouse(['serve'], {
      env: cleanEnv({
        GATEHOUSE_MODE: 'staging',
        GATEHOUSE_PORT: '99999',
        GATEHOUSE_PUBLIC_URL: 'ftp://id.example',
        DATABASE_URL: 'mysql://db.example/x',
        GATEHOUSE_DATABASE_POOL_SIZE: '0',
        REDIS_URL: 'http://cache.example',
        GATEHOUSE_LOG_LEVEL: 'loud',
        GATEHOUSE_UPSTREAM_TIMEOUT_MS: '5',
        GATEHOUSE_TRUST_PROXY: 'maybe',
      }),
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines.every((line) => line.startsWith(prefix))).toBe(true);
    expect(lines.map((line) => line.slice(prefix.length).split(' ')[0]).sort()).toEqual(
      [
        'GATEHOUSE_MODE',
        'GATEHOUSE_PORT',
        'GATEHOUSE_PUBLIC_URL',
        'GATEHOUSE_DATABASE_URL',
        'GATEHOUSE_DATABASE_POOL_SIZE',
        'GATEHOUSE_REDIS_URL',
        'GATEHOUSE_LOG_LEVEL',
        'GATEHOUSE_UPSTREAM_TIMEOUT_MS',
        'GATEHOUSE_TRUST_PROXY',
      ].sort(),
    );
  });

  it.each([
    [['serve', '--port', 'eighty'], {}, 'GATEHOUSE_PORT (port): Expected integer (got "eighty")'],
    [['serve', '--public-url', 'localhost:3000'], {}, 'GATEHOUSE_PUBLIC_URL (publicUrl): '],
    [['tenant', 'list', '--database-url', 'mysql://x'], {}, 'GATEHOUSE_DATABASE_URL (databaseUrl): '],
    [
      ['serve'],
      { GATEHOUSE_MASTER_KEY: 'not-32-bytes' },
      'GATEHOUSE_MASTER_KEY (masterKey): must be 32 bytes as 64 hex characters or base64url',
    ],
    [
      ['migrate'],
      { NODE_ENV: 'production', GATEHOUSE_PUBLIC_URL: 'https://id.example' },
      'GATEHOUSE_MASTER_KEY (masterKey): required in production',
    ],
    [
      ['serve', '--import', '/nonexistent/config.json'],
      {},
      'GATEHOUSE_IMPORT_FILE (importFile): /nonexistent/config.json: cannot be read (ENOENT)',
    ],
  ])('gatehouse %j with %j', async (args, env, line) => {
    const result = await runGatehouseInProcess([...args, '--data', tempDir()], { env: cleanEnv(env) });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(result.stderr.startsWith(`${prefix}${line}`)).toBe(true);
  });

  it('never prints a secret that is wrong', async () => {
    const result = await runGatehouseInProcess(['serve', '--data', tempDir()], {
      env: cleanEnv({ GATEHOUSE_ADMIN_TOKEN: 'short-secret' }),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^gatehouse: configuration: GATEHOUSE_ADMIN_TOKEN \(adminToken\): /);
    expect(result.stderr).not.toContain('short-secret');
  });
});
