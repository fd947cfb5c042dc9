import { existsSync } from 'node:fs';
import http from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../harness/gatehouse.js';
import { storageKinds } from '../harness/storage.js';
import { runGatehouseInProcess } from './in-process.js';
import { bin, type CliStore, cliStore, json, type ServerProcess, startProcess } from './spawn-cli.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 120_000 });

const adminToken = 'a-shutdown-test-admin-token-0123456789';

/** The exit code, or a failure when the process is still running after `ms` (a bound, not a measurement). */
const exitWithin = (server: ServerProcess, ms: number): Promise<number | null> =>
  Promise.race([
    server.exited(),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`still running ${ms} ms after the signal`)), ms).unref(),
    ),
  ]);

/** A keep-alive client whose connection stays open, idle, after its request. */
const idleKeepAlive = async (port: number): Promise<http.Agent> => {
  const agent = new http.Agent({ keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/healthz', agent }, (response) => {
        response.resume();
        response.on('end', resolve);
      })
      .on('error', reject);
  });
  expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);
  return agent;
};

/** A connection that has sent nothing (a browser's preconnect), and when the server closed it. */
const silentConnection = (port: number): Promise<{ socket: Socket; closed: Promise<void> }> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve({ socket, closed }));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => {});
    socket.once('error', reject);
    socket.resume();
  });

/** Resolves once the port refuses new connections (the server stopped accepting), polling with a bound. */
const refusesConnections = async (port: number): Promise<void> => {
  for (let attempt = 0; attempt < 600; attempt++) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    if (refused) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`port ${port} still accepts connections`);
};

/**
 * `POST /admin/tenants` whose body is held back: resolves once the server has the request (its `100 Continue`), with
 * `finish()` to send the body and the response's status and body.
 */
const heldRequest = (port: number, tenantId: string) =>
  new Promise<{ finish(): Promise<{ status: number; body: unknown }> }>((resolve, reject) => {
    const body = JSON.stringify({ id: tenantId });
    const request = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/admin/tenants',
      agent: false,
      headers: {
        authorization: `Bearer ${adminToken}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        expect: '100-continue',
      },
    });
    const response = new Promise<{ status: number; body: unknown }>((done, fail) => {
      request.on('response', (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += String(chunk);
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
      });
      request.on('error', fail);
    });
    // Awaited by `finish`; a request the server cuts off before then is not an unhandled rejection.
    response.catch(() => {});
    request.on('error', reject);
    request.on('continue', () =>
      resolve({
        finish: () => {
          request.end(body);
          return response;
        },
      }),
    );
    request.flushHeaders();
  });

describe.each(storageKinds)('SIGTERM on %s', (kind) => {
  let store: CliStore;
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await store?.drop();
  });

  const start = async (extra: Record<string, string>) => {
    store = cliStore(kind);
    const port = await freePort();
    server = startProcess(process.execPath, [bin, 'serve', '--port', String(port), ...store.args], {
      env: { ...store.env, GATEHOUSE_ADMIN_TOKEN: adminToken, GATEHOUSE_DEMO: 'false', ...extra },
    });
    await server.waitFor('Gatehouse listening');
    return { port, server };
  };

  it('with idle keep-alive clients: finishes the request in flight, closes the store and exits 0 within the grace', async () => {
    const { port, server: running } = await start({ GATEHOUSE_SHUTDOWN_GRACE_MS: '120000' });
    const agent = await idleKeepAlive(port);
    const silent = await silentConnection(port);
    const inFlight = await heldRequest(port, 'late');

    running.child.kill('SIGTERM');
    await refusesConnections(port);
    expect(await inFlight.finish()).toMatchObject({ status: 201, body: { id: 'late' } });
    expect(await exitWithin(running, 90_000)).toBe(0);
    expect(running.stdout()).toContain('Gatehouse stopping (SIGTERM)');
    expect(running.stdout()).not.toContain('grace of');
    await silent.closed;
    agent.destroy();

    // What the request in flight wrote was flushed and the store closed: the CLI finds it.
    const cli = await runGatehouseInProcess(['tenant', 'show', 'late', ...store.args], { env: store.env });
    expect(json(cli)).toMatchObject({ id: 'late' });
    // PostgreSQL takes many instances: no lock file there.
    if (kind === 'postgres') expect(existsSync(join(store.env.GATEHOUSE_DATA_DIR ?? '', 'gatehouse.lock'))).toBe(false);
  });
});

describe('the shutdown grace', () => {
  let server: ServerProcess | undefined;
  let store: CliStore | undefined;
  afterEach(async () => {
    await server?.stop();
    await store?.drop();
  });

  it('when it runs out (SIGINT), closes the connections still busy and exits 1', async () => {
    store = cliStore('pglite');
    const port = await freePort();
    server = startProcess(process.execPath, [bin, 'serve', '--port', String(port), ...store.args], {
      env: {
        ...store.env,
        GATEHOUSE_ADMIN_TOKEN: adminToken,
        GATEHOUSE_DEMO: 'false',
        GATEHOUSE_SHUTDOWN_GRACE_MS: '500',
      },
    });
    await server.waitFor('Gatehouse listening');
    const stuck = await heldRequest(port, 'never');
    server.child.kill('SIGINT');
    expect(await exitWithin(server, 90_000)).toBe(1);
    expect(server.stdout()).toContain('Gatehouse stopping (SIGINT)');
    expect(server.stdout()).toContain(
      'the shutdown grace of 500 ms is over; closing the remaining connections (1 open, 1 requests in flight)',
    );
    await expect(stuck.finish()).rejects.toThrow();
  });
});
