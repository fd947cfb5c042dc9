import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../harness/gatehouse.js';
import { runGatehouseInProcess } from './in-process.js';
import {
  bin,
  cleanEnv,
  cliRunsAsNobody,
  json,
  masterKey,
  runGatehouse,
  type ServerProcess,
  startProcess,
  tempDir,
} from './spawn-cli.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });

const lockFile = (data: string) => join(data, 'gatehouse.lock');
const env = cleanEnv({ GATEHOUSE_DEMO: 'false' });

const serve = (data: string, port: number, extraEnv: NodeJS.ProcessEnv = env): ServerProcess =>
  startProcess(process.execPath, [bin, 'serve', '--port', String(port), '--data', data], { env: extraEnv });

/** The refusal of a process that finds the data directory held by `pid`: one line on stderr, exit code 1. */
const refusedBy = (pid: number | undefined) => ({
  code: 1,
  stdout: '',
  stderr: expect.stringMatching(
    new RegExp(
      `^gatehouse: the data directory \\S+ is in use by process ${pid} \\(gatehouse serve, started [^)]+\\); [^\\n]+\\n$`,
    ),
  ),
});

/** A process id that is certainly not running: a child that has exited. */
const deadPid = (): number => {
  const pid = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
  expect(() => process.kill(pid, 0)).toThrow();
  return pid;
};

describe('an embedded store held by a running gatehouse serve', () => {
  const data = tempDir();
  let port: number;
  let server: ServerProcess;
  let url: string;
  const admin = async (path: string) => {
    const token = readFileSync(join(data, 'admin-token'), 'utf8').trim();
    const response = await fetch(`${url}/admin${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  // Commands run in this process through the CLI's entry: to the server, another process all the same. The refusals
  // of a second serve and of migrate run the binary, two processes on one data directory.
  const cli = (...args: string[]) => runGatehouseInProcess([...args, '--data', data], { env });

  beforeAll(async () => {
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = serve(data, port);
    await server.waitFor('Gatehouse listening');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is locked by the server: its pid, start time and admin URL', () => {
    expect(JSON.parse(readFileSync(lockFile(data), 'utf8'))).toEqual({
      pid: server.child.pid,
      startedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      command: 'serve',
      adminUrl: url,
    });
  });

  it('takes the CLI’s changes through the server’s admin API: the server sees them at once', async () => {
    const created = json(await cli('tenant', 'create', 'acme', '--name', 'Acme'));
    expect(created).toMatchObject({ id: 'acme', name: 'Acme', policies: { linking: 'merge_needed' } });
    expect(await admin('/tenants/acme')).toMatchObject({ status: 200, body: { id: 'acme', name: 'Acme' } });

    const client = json<{ clientSecret: string }>(
      await cli(
        'client',
        'create',
        '--tenant',
        'acme',
        '--client-id',
        'acme-web',
        '--redirect-uri',
        'https://a.example/cb',
      ),
    );
    expect(client).toMatchObject({ clientId: 'acme-web', tenantId: 'acme', clientSecret: expect.any(String) });
    const document = join(tempDir(), 'users.json');
    writeFileSync(document, JSON.stringify({ tenants: [{ id: 'acme', users: [{ email: 'ada@example.com' }] }] }));
    expect(json(await cli('import', document))).toMatchObject({ users: { created: 1 } });
    expect(json(await cli('user', 'show', 'ada@example.com', '--tenant', 'acme'))).toMatchObject({
      email: 'ada@example.com',
      status: 'active',
      identities: [],
    });
    expect(await admin('/tenants/acme/clients')).toMatchObject({ body: { items: [{ clientId: 'acme-web' }] } });
  });

  it('answers the server’s refusals as the CLI’s own: one line, exit code 1', async () => {
    expect(await cli('tenant', 'create', 'acme')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'gatehouse: conflict: tenant acme already exists\n',
    });
    expect(await cli('user', 'show', 'nobody@example.com', '--tenant', 'acme')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'gatehouse: not_found: user "nobody@example.com" does not exist\n',
    });
  });

  it('refuses a second serve and migrate in one line naming the server’s pid', async () => {
    const second = await runGatehouse(['serve', '--port', String(await freePort()), '--data', data], { env });
    expect(second).toEqual(refusedBy(server.child.pid));
    expect(await runGatehouse(['migrate', '--data', data], { env })).toEqual(refusedBy(server.child.pid));
    // The server is untouched.
    expect(await admin('/tenants/acme')).toMatchObject({ status: 200 });
  });

  it('keeps what the CLI wrote across a restart, and releases the lock when it stops', async () => {
    expect(await server.stop()).toBe(0);
    expect(existsSync(lockFile(data))).toBe(false);
    // Nothing holds the store now: the CLI opens it itself.
    expect(json(await cli('tenant', 'show', 'acme'))).toMatchObject({ id: 'acme', name: 'Acme' });
    server = serve(data, port);
    await server.waitFor('Gatehouse listening');
    expect(await admin('/tenants/acme')).toMatchObject({ status: 200, body: { id: 'acme' } });
    expect(await admin('/tenants/acme/users?email=ada%40example.com')).toMatchObject({
      body: { items: [{ email: 'ada@example.com' }] },
    });
  });
});

describe('a server without its admin API', () => {
  it('makes the CLI refuse in one line naming its pid, and write nothing', async () => {
    const data = tempDir();
    const production = cleanEnv({
      NODE_ENV: 'production',
      GATEHOUSE_MASTER_KEY: masterKey,
      GATEHOUSE_PUBLIC_URL: 'https://id.example',
    });
    const server = serve(data, await freePort(), production);
    try {
      await server.waitFor('Admin API: off');
      const result = await runGatehouseInProcess(['tenant', 'create', 'acme', '--data', data], { env: production });
      expect(result).toEqual(refusedBy(server.child.pid));
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(json(await runGatehouseInProcess(['tenant', 'list', '--data', data], { env: production }))).toEqual([]);
  });
});

describe('a lock left by a process that no longer runs', () => {
  const staleLock = (data: string) => {
    const stale = {
      pid: deadPid(),
      startedAt: '2020-01-01T00:00:00.000Z',
      command: 'serve',
      adminUrl: 'http://127.0.0.1:9',
    };
    writeFileSync(lockFile(data), JSON.stringify(stale));
  };

  it('is taken over by a CLI command, which releases it when done', async () => {
    const data = tempDir();
    staleLock(data);
    expect(json(await runGatehouseInProcess(['tenant', 'create', 'acme', '--data', data], { env }))).toMatchObject({
      id: 'acme',
    });
    expect(existsSync(lockFile(data))).toBe(false);
  });

  it('is taken over by a serve', async () => {
    const data = tempDir();
    staleLock(data);
    const port = await freePort();
    const server = serve(data, port);
    try {
      await server.waitFor('Gatehouse listening');
      expect(JSON.parse(readFileSync(lockFile(data), 'utf8'))).toMatchObject({
        pid: server.child.pid,
        adminUrl: `http://127.0.0.1:${port}`,
      });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

// The admin token is sent only to the URL in a lock file of the CLI's own user. Making a file another user's needs
// root, so the CLI then runs as nobody against a lock file root wrote; not run where nobody cannot reach the checkout.
describe.runIf(cliRunsAsNobody)('a lock file another user wrote', () => {
  it('is not trusted with the admin token: the CLI refuses, naming the pid, and sends nothing', async () => {
    const heard: string[] = [];
    const decoy = createServer((request, response) => {
      heard.push(String(request.headers.authorization));
      response.end('{}');
    });
    await new Promise<void>((resolve) => decoy.listen(0, '127.0.0.1', resolve));
    try {
      const data = tempDir();
      chmodSync(data, 0o777);
      writeFileSync(join(data, 'admin-token'), 'gh_admin_a-token-nobody-may-read-0123\n', { mode: 0o644 });
      const port = (decoy.address() as { port: number }).port;
      const holder = { pid: process.pid, startedAt: new Date().toISOString(), command: 'serve' };
      writeFileSync(lockFile(data), JSON.stringify({ ...holder, adminUrl: `http://127.0.0.1:${port}` }));
      const result = await runGatehouse(['tenant', 'list', '--data', data], {
        env: cleanEnv({ HOME: data }),
        cwd: data,
        uid: 65534,
        gid: 65534,
      });
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: expect.stringMatching(
          new RegExp(`^gatehouse: the data directory \\S+ is in use by process ${process.pid} \\(gatehouse serve, `),
        ),
      });
      expect(heard).toEqual([]);
    } finally {
      decoy.close();
    }
  });
});
