import { defineGrant, required, toTokenResponse } from './grant.js';

/**
 * RFC 6749 §4.3, for clients explicitly allowed it (`grantTypes` includes `password`; the Flex surface needs it).
 * RFC 9700 §2.4 says it must not be used in general: it is never enabled by default.
 */
export const passwordGrant = defineGrant(
  ['username', 'password', 'scope'],
  async ({ core, tenant, client, params, ip }) => {
    const username = required(params, 'username');
    const password = required(params, 'password');
    const scope = core.tokens.scopes.parse(params.scope);
    core.tokens.scopes.requireAllowed(client, scope);
    const signIn = await core.login.signInWithPassword({
      tenant,
      email: username,
      password,
      clientId: client.clientId,
      ip,
    });
    const issued = await core.tokens.issueTokens({
      tenant,
      client,
      userId: signIn.user.id,
      user: signIn.user,
      scope,
      amr: signIn.amr,
      authTime: signIn.authTime,
      grantType: 'password',
      ip,
    });
    return toTokenResponse(issued);
  },
);
