/**
 * SSRF: in production an administrator's connection settings must not make the server connect to loopback, private
 * or link-local addresses, least of all on an anonymous StartSocialAuthentication. A listener on loopback stands in
 * for an internal service and counts every connection it receives.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { security } from './support.js';

const appCallback = 'https://app.example/after-login';

/** A TCP listener on 127.0.0.1 that counts connections and closes each at once. */
const startInternalService = async () => {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

const setUp = async (gatehouse: RunningGatehouse, issuers: Record<string, string>) => {
  const admin = (method: string, path: string, body: unknown) =>
    fetch(`${gatehouse.url}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${gatehouse.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  expect((await admin('POST', '/tenants', { id: 'corp' })).status).toBe(201);
  expect((await admin('POST', '/tenants/corp/clients', { public: true, callbackUrls: [appCallback] })).status).toBe(
    201,
  );
  for (const [id, issuer] of Object.entries(issuers)) {
    const set = await admin('PUT', `/tenants/corp/idps/${id}`, {
      kind: 'oidc',
      clientId: 'gatehouse',
      clientSecret: 'secret',
      settings: { issuer },
    });
    expect(set.status).toBeLessThan(300);
  }
};

const start = (gatehouse: RunningGatehouse, idpName: string) =>
  security(`${gatehouse.url}/t/corp`, 'StartSocialAuthentication', {
    IdpName: idpName,
    PostExtIdpAuthCallbackUrl: appCallback,
  });

describe('upstream connections to non-public addresses in production', () => {
  let internal: Awaited<ReturnType<typeof startInternalService>>;
  let gatehouse: RunningGatehouse;
  beforeAll(async () => {
    internal = await startInternalService();
    gatehouse = await startGatehouse({ config: { mode: 'production', publicUrl: 'https://id.example' } });
    await setUp(gatehouse, {
      literal: `https://127.0.0.1:${internal.port}`,
      mapped: `https://[::ffff:127.0.0.1]:${internal.port}`,
      named: `https://localhost:${internal.port}`,
      metadata: 'https://169.254.169.254',
    });
  });
  afterAll(async () => {
    await gatehouse?.close();
    await internal?.close();
  });

  it('refuses them on an anonymous StartSocialAuthentication: no connection is made, the IdP is unavailable', async () => {
    for (const idpName of ['literal', 'mapped', 'named', 'metadata']) {
      const started = await start(gatehouse, idpName);
      expect(started.body).toMatchObject({ success: false, Result: null, ErrorCode: 'ExternalIdpUnavailable' });
    }
    expect(internal.connections()).toBe(0);
    // The operator learns why from the log.
    expect(gatehouse.logs.join('\n')).toContain('is not a public address; private upstreams are not allowed');
  });
});

describe('upstream connections to non-public addresses with allowPrivateUpstreams', () => {
  let internal: Awaited<ReturnType<typeof startInternalService>>;
  let gatehouse: RunningGatehouse;
  beforeAll(async () => {
    internal = await startInternalService();
    gatehouse = await startGatehouse({
      config: { mode: 'production', publicUrl: 'https://id.example', allowPrivateUpstreams: true },
    });
    await setUp(gatehouse, { named: `https://localhost:${internal.port}` });
  });
  afterAll(async () => {
    await gatehouse?.close();
    await internal?.close();
  });

  it('lets the operator reach an identity provider on their own network', async () => {
    const started = await start(gatehouse, 'named');
    expect(started.body).toMatchObject({ success: false });
    expect(internal.connections()).toBeGreaterThan(0);
  });
});
