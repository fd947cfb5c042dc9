/**
 * The peer: `oidc-provider` configured like the Gatehouse bench tenant: one confidential client
 * (client_secret_basic), JWT access tokens signed ES256 for a default resource, ES256 ID tokens, refresh token
 * rotation on, the default in-memory adapter. BENCH_REFRESH_TOKENS refresh tokens (scope `openid offline_access api`)
 * are issued before it listens and printed on the ready line.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

const clientId = 'bench-client';
const clientSecret = 'bench-secret-0123456789abcdefghijklmnopqrstuv';
const resource = 'urn:gatehouse:bench';
const refreshTokenCount = Number(process.env.BENCH_REFRESH_TOKENS ?? 200);
const port = Number(process.env.BENCH_PORT ?? 0);

const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

const start = async () => {
  // The issuer must be known before listening: take a port first.
  const { createServer } = await import('node:http');
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(port, '127.0.0.1', resolve));
  const { port: chosen } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const issuer = `http://127.0.0.1:${chosen}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
        redirect_uris: ['https://rp.example/callback'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [{ ...jwk, kid: 'bench-es256', alg: 'ES256', use: 'sig' }] },
    scopes: ['openid', 'offline_access', 'api'],
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api',
          audience: resource,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    rotateRefreshToken: true,
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  });
  provider.on('server_error', (_ctx, error) => process.stderr.write(`server_error ${String(error)}\n`));

  const client = await provider.Client.find(clientId);
  if (client === undefined) throw new Error('client not registered');
  const now = Math.floor(Date.now() / 1000);
  const grant = new provider.Grant({ accountId: 'bench-user', clientId });
  grant.addOIDCScope('openid offline_access');
  grant.addResourceScope(resource, 'api');
  const grantId = await grant.save();
  const refreshTokens: string[] = [];
  for (let i = 0; i < refreshTokenCount; i++) {
    const token = new provider.RefreshToken({
      accountId: 'bench-user',
      client,
      grantId,
      gty: 'authorization_code',
      authTime: now,
      iiat: now,
      scope: 'openid offline_access api',
      resource,
      expiresWithSession: false,
      rotations: 0,
    });
    refreshTokens.push(await token.save());
  }

  const server = provider.listen(chosen, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  process.stdout.write(`${JSON.stringify({ ready: true, url: issuer, clientId, clientSecret, refreshTokens })}\n`);
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
};

await start();
