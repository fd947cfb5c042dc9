import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestLoggerFactory } from '../../src/http/request-logger.js';
import { createLogger, type Logger } from '../../src/lib/logger.js';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';

type Line = Record<string, unknown>;

const capture = (level: string): { log: Logger; lines: Line[] } => {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Line);
      done();
    },
  });
  return { log: createLogger({ level, destination: sink }), lines };
};

// The factory is called by Fastify with the server as `this`; it does not use it.
const childOf = (log: Logger, options: Record<string, unknown> = {}) =>
  requestLoggerFactory.call(undefined as never, log, { reqId: 'r-1' }, options, undefined as never);

/** pino writes through a stream: let it flush. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('requestLoggerFactory', () => {
  it('writes what the child would, with the request id, and drops what the level drops', async () => {
    const { log, lines } = capture('warn');
    const child = childOf(log);
    child.info({ detail: 1 }, 'dropped');
    child.debug('dropped too');
    child.warn({ detail: 2 }, 'kept');
    child.error(new Error('boom'));
    await settle();
    expect(lines.map((l) => [l.level, l.msg, l.reqId])).toEqual([
      [40, 'kept', 'r-1'],
      [50, 'boom', 'r-1'],
    ]);
    expect(lines[0]?.detail).toBe(2);
  });

  it('redacts as the server logger does', async () => {
    const { log, lines } = capture('info');
    childOf(log).info({ client_secret: 's3cret', nested: { password: 'pw' } }, 'line');
    await settle();
    expect(JSON.stringify(lines)).not.toMatch(/s3cret|"pw"/);
    expect(lines[0]?.reqId).toBe('r-1');
  });

  it('follows the server level, and can be given its own', async () => {
    const { log, lines } = capture('warn');
    const child = childOf(log);
    expect(child.level).toBe('warn');
    log.level = 'info';
    child.info('now written');
    child.level = 'error';
    child.warn('dropped by the request level');
    expect(child.level).toBe('error');
    expect(log.level).toBe('info');
    child.child({ step: 'inner' }).error('from a grandchild');
    await settle();
    expect(lines.map((l) => [l.msg, l.reqId, l.step])).toEqual([
      ['now written', 'r-1', undefined],
      ['from a grandchild', 'r-1', 'inner'],
    ]);
  });

  it('makes a pino child at once for a route with a level of its own', async () => {
    const { log, lines } = capture('info');
    const child = childOf(log, { level: 'warn' });
    child.info('dropped by the route level');
    child.warn('kept');
    await settle();
    expect(lines.map((l) => l.msg)).toEqual(['kept']);
  });
});

describe('request logging at info', () => {
  let gh: RunningGatehouse;
  beforeAll(async () => {
    gh = await startGatehouse({ storage: 'pglite' });
  });
  afterAll(() => gh?.close());

  it('logs every request and its completion under one request id', async () => {
    expect((await fetch(`${gh.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gh.url}/t/nobody/jwks`)).status).toBe(404);
    await settle();
    const lines = gh.logs.map((l) => JSON.parse(l) as Line & { req?: { path?: string } });
    for (const path of ['/healthz', '/t/nobody/jwks']) {
      const incoming = lines.find((l) => l.msg === 'incoming request' && l.req?.path === path);
      expect(incoming?.level).toBe(30);
      const reqId = incoming?.reqId;
      expect(typeof reqId).toBe('string');
      expect(lines.some((l) => l.msg === 'request completed' && l.reqId === reqId)).toBe(true);
    }
    const rejected = lines.find((l) => l.msg === 'request.rejected' && l.errorCode === 'not_found');
    expect(rejected?.reqId).toEqual(lines.find((l) => l.req?.path === '/t/nobody/jwks')?.reqId);
  });
});
