import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isGatehouseError } from '../../src/core/errors.js';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';
import { expectNoWrites, testDatabaseUrl } from '../harness/storage.js';
import { runGatehouseInProcess } from './in-process.js';
import { cleanEnv, json, tempDir } from './spawn-cli.js';

// Each step runs the CLI's own entry in this process, as `gatehouse` would run it (test/cli/in-process.ts).
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

interface UserOut {
  id: string;
  email: string | null;
  displayName: string | null;
  firstName: string | null;
  passwordResetRequired: boolean;
}

let gh: RunningGatehouse;
let env: NodeJS.ProcessEnv;
const cli = (...args: string[]) => runGatehouseInProcess([...args, '--tenant', 'cli-care'], { env });
const secretFile = (text: string): string => {
  const path = join(tempDir(), 'password');
  writeFileSync(path, `${text}\n`);
  return path;
};
const codeOf = (action: Promise<unknown>) =>
  action.then(
    () => undefined,
    (error: unknown) => (isGatehouseError(error) ? error.code : String(error)),
  );

beforeAll(async () => {
  gh = await startGatehouse();
  await gh.core.tenants.create({ id: 'cli-care' });
  env = cleanEnv({
    DATABASE_URL: testDatabaseUrl,
    GATEHOUSE_DATABASE_SCHEMA: gh.storage.schema ?? '',
    GATEHOUSE_MASTER_KEY: '0'.repeat(64),
    GATEHOUSE_MODE: 'test',
  });
});
afterAll(async () => gh?.close());

describe('gatehouse user care commands', () => {
  it('creates a user with a password from a file, finds it, patches it, requires a reset and sets a password', async () => {
    const created = json<UserOut>(
      await cli(
        'user',
        'create',
        '--email',
        'Lin@Example.com',
        '--first-name',
        'Lin',
        '--password-file',
        secretFile('first-password'),
      ),
    );
    expect(created).toMatchObject({ email: 'lin@example.com', firstName: 'Lin', passwordResetRequired: false });
    expect(await gh.core.users.verifyCredentials('cli-care', 'lin@example.com', 'first-password')).toMatchObject({
      id: created.id,
    });

    const found = json<{ items: UserOut[]; next: string | null }>(await cli('user', 'find', '--prefix', 'LI'));
    expect(found).toEqual({ items: [expect.objectContaining({ id: created.id })], next: null });
    const byName = json<{ items: UserOut[] }>(await cli('user', 'find', '--text', 'lin'));
    expect(byName.items.map((u) => u.id)).toEqual([created.id]);

    const patched = json<UserOut>(
      await cli('user', 'patch', 'lin@example.com', '{"displayName":"Lin Y.","firstName":null}'),
    );
    expect(patched).toMatchObject({ id: created.id, displayName: 'Lin Y.', firstName: null, email: 'lin@example.com' });

    expect(json<UserOut>(await cli('user', 'require-reset', created.id))).toMatchObject({
      passwordResetRequired: true,
    });
    expect(await codeOf(gh.core.users.verifyCredentials('cli-care', 'lin@example.com', 'first-password'))).toBe(
      'password_reset_required',
    );
    const set = json<UserOut>(
      await cli('user', 'set-password', 'lin@example.com', '--password-file', secretFile('second-password')),
    );
    expect(set).toMatchObject({ passwordResetRequired: false });
    expect(await gh.core.users.verifyCredentials('cli-care', 'lin@example.com', 'second-password')).toMatchObject({
      id: created.id,
    });
  });

  it('lists and ends sessions, resets second factors and deletes the user', async () => {
    const tenant = await gh.core.tenants.require('cli-care');
    const user = (await gh.core.users.findByEmail('cli-care', 'lin@example.com')) as { id: string };
    const one = await gh.core.sessions.start({
      tenant,
      userId: user.id,
      amr: ['pwd'],
      authTime: new Date(),
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      ip: '203.0.113.4',
    });
    await gh.core.sessions.start({ tenant, userId: user.id, amr: ['pwd'], authTime: new Date() });
    const sessions = json<{ sid: string; browser: string | null; os: string | null }[]>(
      await cli('user', 'sessions', 'lin@example.com'),
    );
    expect(sessions).toHaveLength(2);
    expect(sessions).toContainEqual(expect.objectContaining({ sid: one.session.sid, browser: 'Firefox', os: 'Linux' }));
    expect(json(await cli('user', 'end-sessions', 'lin@example.com', '--sid', one.session.sid))).toEqual({ ended: 1 });
    expect(await gh.core.sessions.find(tenant, one.cookie)).toBeUndefined();
    expect(json(await cli('user', 'end-sessions', 'lin@example.com'))).toEqual({ ended: 1 });
    expect(json(await cli('user', 'reset-mfa', 'lin@example.com'))).toEqual({ removed: 0 });
    expect(json(await cli('user', 'delete', 'lin@example.com'))).toEqual({ deleted: user.id });
    expect(await gh.core.users.find('cli-care', user.id)).toBeUndefined();
  });

  it('refuses bad input and unknown users with one line and exit code 1, changing nothing', async () => {
    await gh.core.users.create('cli-care', { email: 'stays@example.com' });
    const refusals: [string[], RegExp][] = [
      [['user', 'find'], /give one of --email, --prefix or --text/],
      [['user', 'find', '--prefix', 'a', '--text', 'b'], /give one of/],
      [['user', 'find', '--text', 'a', '--cursor', 'bm90LWEtdXVpZA'], /^invalid_request: cursor: not a cursor/],
      [['user', 'patch', 'stays@example.com', '{not json'], /<json>: not JSON/],
      [
        ['user', 'patch', 'stays@example.com', '{"email":"nope"}'],
        /^invalid_request: user.email: not an email address/,
      ],
      [
        ['user', 'set-password', 'stays@example.com', '--password-file', secretFile('short')],
        /^invalid_request: password/,
      ],
      [
        ['user', 'set-password', 'stays@example.com', '--password-file', '/nonexistent/file'],
        /--password-file: cannot read/,
      ],
      [['user', 'delete', 'nobody@example.com'], /^not_found: user "nobody@example.com" does not exist/],
      [['user', 'end-sessions', 'stays@example.com', '--sid', 'no-such-sid'], /^not_found: session "no-such-sid"/],
      [['client', 'rotate-secret', 'nope', '--grace', 'soon'], /--grace: seconds/],
    ];
    for (const [args, message] of refusals) {
      const result = await expectNoWrites(gh.storage.db, () => cli(...args));
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr.replace(/^gatehouse[^:]*: /, ''), args.join(' ')).toMatch(message);
    }
  });

  it('rotates a client secret with a grace and changes one redirect URI at a time', async () => {
    const created = json<{ clientSecret: string }>(
      await cli('client', 'create', '--client-id', 'cli-care-web', '--redirect-uri', 'https://a.example/cb'),
    );
    const rotated = json<{ clientSecret: string }>(
      await cli('client', 'rotate-secret', 'cli-care-web', '--grace', '300'),
    );
    for (const secret of [created.clientSecret, rotated.clientSecret]) {
      expect(
        await gh.core.clients.authenticate({
          method: 'client_secret_post',
          clientId: 'cli-care-web',
          clientSecret: secret,
        }),
      ).toMatchObject({ clientId: 'cli-care-web' });
    }
    const added = json<{ redirectUris: string[] }>(
      await cli('client', 'add-redirect-uri', 'cli-care-web', 'https://a.example/two'),
    );
    expect(added.redirectUris).toEqual(['https://a.example/cb', 'https://a.example/two']);
    const removed = json<{ redirectUris: string[] }>(
      await cli('client', 'remove-redirect-uri', 'cli-care-web', 'https://a.example/cb'),
    );
    expect(removed.redirectUris).toEqual(['https://a.example/two']);
    const refused = await expectNoWrites(gh.storage.db, () =>
      cli('client', 'add-redirect-uri', 'cli-care-web', 'javascript:alert(1)'),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/invalid_request: client.redirectUris/);
  });
});
