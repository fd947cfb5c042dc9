import { tracingChannel } from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';

// Fastify publishes every route handler it runs on this channel: a request answered before the framework never
// reaches it.
const handled: string[] = [];
const handlerChannel = tracingChannel('fastify.request.handler');
const onHandlerStart = (message: unknown) => {
  const { request } = message as { request: { method: string; url: string } };
  handled.push(`${request.method} ${request.url}`);
};
const subscribers = {
  start: onHandlerStart,
  end: () => {},
  asyncStart: () => {},
  asyncEnd: () => {},
  error: () => {},
};

/** Everything a client sees of a response but Node's own per-connection headers. */
const seen = async (response: Response) => {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!['date', 'connection', 'keep-alive'].includes(name)) headers[name] = value;
  });
  return { status: response.status, headers, body: await response.text() };
};

/** The same request answered by the framework's route (Fastify's inject never goes through the HTTP server). */
const throughRoute = async (gatehouse: RunningGatehouse, path: string) => {
  const response = await gatehouse.server.inject({ method: 'GET', url: path });
  const headers = Object.fromEntries(
    Object.entries(response.headers)
      .filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name))
      .map(([name, value]) => [name, String(value)]),
  );
  return { status: response.statusCode, headers, body: response.body };
};

const documents = ['/t/published/jwks', '/t/published/.well-known/openid-configuration'];

/** Requests seen by route handlers while `run` runs. */
const handlersDuring = async (run: () => Promise<unknown>): Promise<string[]> => {
  const before = handled.length;
  await run();
  return handled.slice(before);
};

let gatehouse: RunningGatehouse;
let logged: RunningGatehouse;

beforeAll(async () => {
  handlerChannel.subscribe(subscribers);
  // The published documents are answered this way only when requests are not logged (warn, as on a busy fleet).
  [gatehouse, logged] = await Promise.all([
    startGatehouse({ storage: 'pglite', config: { logLevel: 'warn' } }),
    startGatehouse({ storage: 'pglite' }),
  ]);
  await Promise.all([
    gatehouse.core.tenants.create({ id: 'published' }),
    logged.core.tenants.create({ id: 'published' }),
  ]);
});
afterAll(async () => {
  handlerChannel.unsubscribe(subscribers);
  await Promise.all([gatehouse?.close(), logged?.close()]);
});

describe('published documents (discovery and JWKS) answered before the framework', () => {
  it('send the bytes and headers the routes send, without running a route once the tenant and keys are held', async () => {
    // The first requests load the tenant and its keys through the routes.
    for (const path of documents) expect((await fetch(`${gatehouse.url}${path}`)).status).toBe(200);

    const requests = await handlersDuring(async () => {
      for (const path of documents) {
        for (let i = 0; i < 3; i++) {
          const answer = await seen(await fetch(`${gatehouse.url}${path}`));
          expect(answer).toEqual(await throughRoute(gatehouse, path));
          expect(answer.status).toBe(200);
          expect(answer.headers).toEqual({
            'access-control-allow-origin': '*',
            'cache-control': 'public, max-age=300',
            'content-type': 'application/json; charset=utf-8',
            'x-content-type-options': 'nosniff',
            'referrer-policy': 'no-referrer',
            'content-length': String(Buffer.byteLength(answer.body)),
          });
        }
      }
    });
    // Only the inject() comparisons reached a handler.
    expect(requests).toEqual(documents.flatMap((path) => [path, path, path].map((p) => `GET ${p}`)));
    const metadata = JSON.parse((await seen(await fetch(`${gatehouse.url}${documents[1]}`))).body);
    expect(metadata.issuer).toBe(gatehouse.issuer('published'));
  });

  it('count them in the route metrics', async () => {
    const count = async (route: string) => {
      const text = await (await fetch(`${gatehouse.url}/metrics`)).text();
      const series = `gatehouse_http_requests_total{method="GET",route="${route}",status="200"}`;
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };
    const before = await Promise.all([count('/t/:tenant/jwks'), count('/t/:tenant/.well-known/openid-configuration')]);
    const requests = await handlersDuring(async () => {
      for (let i = 0; i < 4; i++) await fetch(`${gatehouse.url}/t/published/jwks`);
      await fetch(`${gatehouse.url}/t/published/.well-known/openid-configuration`);
    });
    expect(requests).toEqual([]);
    expect(await Promise.all([count('/t/:tenant/jwks'), count('/t/:tenant/.well-known/openid-configuration')])).toEqual(
      [(before[0] ?? 0) + 4, (before[1] ?? 0) + 1],
    );
  });

  it('publish a rotated key set at once on the instance that rotated it', async () => {
    const kids = async () =>
      ((await (await fetch(`${gatehouse.url}/t/published/jwks`)).json()) as { keys: { kid: string }[] }).keys
        .map((k) => k.kid)
        .sort();
    const before = await kids();
    const rotated = await gatehouse.core.keys.rotate('published');
    const after = await kids();
    expect(after).not.toEqual(before);
    expect(after).toEqual(rotated.map((k) => k.kid).sort());
    // Rendered again once, then answered before the framework as before.
    expect(await handlersDuring(() => kids())).toEqual([]);
  });

  it('leave every other request to the routes: a query string, HEAD, POST, unknown or malformed tenants', async () => {
    const requests = await handlersDuring(async () => {
      const withQuery = await fetch(`${gatehouse.url}/t/published/jwks?x=1`);
      expect(withQuery.status).toBe(200);
      expect((await seen(withQuery)).body).toBe((await throughRoute(gatehouse, '/t/published/jwks')).body);

      const head = await fetch(`${gatehouse.url}/t/published/jwks`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');

      const post = await fetch(`${gatehouse.url}/t/published/jwks`, { method: 'POST' });
      expect(post.status).toBe(404);
    });
    // The query string's request and the inject() comparison went through the route; HEAD runs the GET handler.
    expect(requests).toEqual(['GET /t/published/jwks?x=1', 'GET /t/published/jwks', 'HEAD /t/published/jwks']);

    for (const id of ['no-such-tenant', 'no-such-tenant', 'Not_A-Tenant']) {
      for (const path of ['jwks', '.well-known/openid-configuration']) {
        const response = await fetch(`${gatehouse.url}/t/${id}/${path}`);
        expect(response.status).toBe(404);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(await response.json()).toEqual({
          error: 'invalid_request',
          error_description: `tenant "${id}" does not exist`,
        });
      }
    }
    // `/t/published` itself is the tenant's page for a person, answered by its route.
    for (const path of ['/t/', '/t/published/', '/t/published/jwks/', '/t/published/JWKS']) {
      const response = await fetch(`${gatehouse.url}${path}`);
      expect(response.status, path).toBe(404);
    }
  });

  it('keep the HTTP server settings Fastify would have made', () => {
    expect(gatehouse.server.server.keepAliveTimeout).toBe(logged.server.server.keepAliveTimeout);
    expect(gatehouse.server.server.keepAliveTimeout).toBe(72_000);
    expect(gatehouse.server.server.requestTimeout).toBe(logged.server.server.requestTimeout);
    expect(gatehouse.server.server.timeout).toBe(logged.server.server.timeout);
  });

  it('are left to the routes, and so logged, when requests are logged (info and below)', async () => {
    for (const path of documents) await fetch(`${logged.url}${path}`);
    const requests = await handlersDuring(async () => {
      for (const path of documents) expect((await fetch(`${logged.url}${path}`)).status).toBe(200);
    });
    expect(requests).toEqual(documents.map((path) => `GET ${path}`));
    // pino writes asynchronously.
    await vi.waitFor(() => {
      const incoming = logged.logs
        .map((line) => JSON.parse(line) as { msg?: string; req?: { path?: string } })
        .filter((line) => line.msg === 'incoming request');
      for (const path of documents) expect(incoming.filter((line) => line.req?.path === path)).toHaveLength(2);
    });
  });
});
