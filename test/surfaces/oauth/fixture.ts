import type { RunningGatehouse } from '../../harness/gatehouse.js';

export const password = 'correct horse battery staple';
export const redirectUri = 'http://127.0.0.1:9/callback';
export const postLogoutRedirectUri = 'http://127.0.0.1:9/signed-out';

/**
 * A tenant with a confidential web client, a public SPA (PKCE), a service client (client_credentials), a client allowed
 * the password grant, and one user, all created through core use-cases.
 */
export const setUpTenant = async (gatehouse: RunningGatehouse, id: string) => {
  const { core } = gatehouse;
  await core.tenants.create({ id, name: `Tenant ${id}` });
  const web = await core.clients.create(id, {
    clientId: `${id}-web`,
    name: 'Web shop',
    redirectUris: [redirectUri],
    grantTypes: ['authorization_code', 'refresh_token'],
    settings: { postLogoutRedirectUris: [postLogoutRedirectUri] },
  });
  const spa = await core.clients.create(id, {
    clientId: `${id}-spa`,
    name: 'Single-page app',
    public: true,
    redirectUris: [redirectUri],
  });
  const service = await core.clients.create(id, {
    clientId: `${id}-service`,
    name: 'Order service',
    grantTypes: ['client_credentials'],
    settings: { scopes: ['orders:read', 'orders:write'] },
  });
  const mobile = await core.clients.create(id, {
    clientId: `${id}-mobile`,
    name: 'Marketplace app',
    grantTypes: ['password', 'refresh_token'],
  });
  const user = await core.users.create(id, {
    email: `alice@${id}.example`,
    password,
    emailVerified: true,
    firstName: 'Alice',
    lastName: 'Liddell',
  });
  return {
    id,
    issuer: gatehouse.issuer(id),
    web: { clientId: web.client.clientId, secret: web.clientSecret as string },
    spa: { clientId: spa.client.clientId },
    service: { clientId: service.client.clientId, secret: service.clientSecret as string },
    mobile: { clientId: mobile.client.clientId, secret: mobile.clientSecret as string },
    user: { id: user.id, email: `alice@${id}.example` },
  };
};

export type TestTenant = Awaited<ReturnType<typeof setUpTenant>>;
