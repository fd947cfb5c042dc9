/**
 * The nginx example of docs/deployment.md, run as written (addresses, ports and certificate paths substituted) in
 * front of two instances. Needs the `nginx` binary (.ci/run installs it); without it the suite is skipped.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/gatehouse.js';
import { type Fleet, type Instance, startFleet } from './fleet.js';

const nginxBinary = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

const tenant = `edge-${randomBytes(4).toString('hex')}`;
const client = { id: 'edge-app', secret: `edge-secret-${randomBytes(16).toString('hex')}` };
const user = { email: 'grace@example.com', password: `pw-${randomBytes(12).toString('hex')}` };

let fleet: Fleet;
let nginx: ChildProcess | undefined;
let dir: string;
let ca: string;
let httpsPort: number;
let httpPort: number;

/** Replaces `from` by `to` in `text`, failing when the example no longer contains `from`. */
const substitute = (text: string, from: string, to: string): string => {
  if (!text.includes(from)) throw new Error(`docs/deployment/nginx.conf no longer contains ${JSON.stringify(from)}`);
  return text.replaceAll(from, to);
};

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A request to nginx over TLS, trusting the test certificate. */
const viaNginx = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
  new Promise<Answer>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: httpsPort, path, method: init.method ?? 'GET', headers: init.headers ?? {}, ca },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });

const tokenRequest = (fields: Record<string, string>, secret = client.secret, headers: Record<string, string> = {}) =>
  viaNginx(`/t/${tenant}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.id}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
  });

const discoveryCount = async (instance: Instance): Promise<number> => {
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith(
        'gatehouse_http_requests_total{method="GET",route="/t/:tenant/.well-known/openid-configuration",status="200"}',
      ),
    );
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
};

const startNginx = async (instances: readonly Instance[]) => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-'));
  chmodSync(dir, 0o755);
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(dir, sub));
    chmodSync(join(dir, sub), 0o777);
  }
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  ca = readFileSync(join(dir, 'cert.pem'), 'utf8');

  const [a, b] = instances as [Instance, Instance];
  let site = readFileSync('docs/deployment/nginx.conf', 'utf8');
  site = substitute(site, 'server 10.0.0.11:3000', `server 127.0.0.1:${a.port}`);
  site = substitute(site, 'server 10.0.0.12:3000', `server 127.0.0.1:${b.port}`);
  site = substitute(site, 'listen 80;', `listen 127.0.0.1:${httpPort};`);
  site = substitute(site, 'listen 443 ssl', `listen 127.0.0.1:${httpsPort} ssl`);
  site = substitute(site, '/etc/ssl/certs/id.example.com.pem', join(dir, 'cert.pem'));
  site = substitute(site, '/etc/ssl/private/id.example.com.key', join(dir, 'key.pem'));
  site = substitute(site, 'allow 10.0.0.0/8;', 'allow 127.0.0.1;');
  site = substitute(site, 'include /etc/nginx/gatehouse-proxy.conf;', `include ${join(dir, 'gatehouse-proxy.conf')};`);
  writeFileSync(join(dir, 'site.conf'), site);
  writeFileSync(join(dir, 'gatehouse-proxy.conf'), readFileSync('docs/deployment/gatehouse-proxy.conf', 'utf8'));
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 256; }',
      'http {',
      '  access_log off;',
      ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (t) => `  ${t === 'body' ? 'client_body' : t}_temp_path ${join(dir, t)};`,
      ),
      `  include ${join(dir, 'site.conf')};`,
      '}',
    ].join('\n'),
  );
  execFileSync(nginxBinary as string, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'pipe' });
  nginx = spawn(nginxBinary as string, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await viaNginx('/healthz')).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`nginx did not answer:\n${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

describe.skipIf(nginxBinary === undefined)('two instances behind the nginx example of docs/deployment.md', () => {
  beforeAll(async () => {
    [httpsPort, httpPort] = await Promise.all([freePort(), freePort()]);
    fleet = await startFleet(2, {
      publicUrl: `https://127.0.0.1:${httpsPort}`,
      env: { GATEHOUSE_TRUST_PROXY: 'true' },
    });
    await startNginx(fleet.instances);
    const imported = await viaNginx('/admin/import', {
      method: 'POST',
      headers: { authorization: `Bearer ${fleet.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        version: 1,
        tenants: [
          {
            id: tenant,
            clients: [{ clientId: client.id, clientSecret: client.secret, grantTypes: ['password', 'refresh_token'] }],
            users: [{ email: user.email, password: user.password, emailVerified: true }],
          },
        ],
      }),
    });
    expect(imported.status, imported.body).toBe(200);
  }, 120_000);

  afterAll(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx?.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await fleet?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('spreads requests over both instances and names the public URL as the issuer', async () => {
    const before = await Promise.all(fleet.instances.map(discoveryCount));
    for (let i = 0; i < 8; i++) {
      const answer = await viaNginx(`/t/${tenant}/.well-known/openid-configuration`);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ issuer: `https://127.0.0.1:${httpsPort}/t/${tenant}` });
    }
    const after = await Promise.all(fleet.instances.map(discoveryCount));
    expect(after[0]).toBeGreaterThan(before[0] ?? 0);
    expect(after[1]).toBeGreaterThan(before[1] ?? 0);
    expect((after[0] ?? 0) + (after[1] ?? 0) - (before[0] ?? 0) - (before[1] ?? 0)).toBe(8);
  });

  it('issues and rotates tokens through the proxy, whichever instance answers', async () => {
    const issued = await tokenRequest({
      grant_type: 'password',
      username: user.email,
      password: user.password,
      scope: 'openid offline_access',
    });
    expect(issued.status, issued.body).toBe(200);
    let refreshToken = String(JSON.parse(issued.body).refresh_token);
    for (let i = 0; i < 4; i++) {
      const rotated = await tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
      expect(rotated.status, rotated.body).toBe(200);
      refreshToken = String(JSON.parse(rotated.body).refresh_token);
    }
  });

  it('redirects plain HTTP to HTTPS', async () => {
    const response = await fetch(`http://127.0.0.1:${httpPort}/t/${tenant}/jwks`, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toMatch(/^https:\/\//);
  });

  it('does not serve /metrics through the proxy', async () => {
    expect((await viaNginx('/metrics')).status).toBe(404);
    expect((await fetch(`${fleet.instances[0]?.url}/metrics`)).status).toBe(200);
  });

  it('keeps rate limiting per client address when the client sends its own X-Forwarded-For', async () => {
    for (let i = 0; i < 20; i++) {
      const failed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'x' }, 'wrong-secret', {
        'x-forwarded-for': `198.51.100.${i}`,
      });
      expect(failed.status).toBe(401);
    }
    const refused = await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'x' }, client.secret, {
      'x-forwarded-for': '198.51.100.99',
    });
    expect(refused.status).toBe(429);
  });
});
