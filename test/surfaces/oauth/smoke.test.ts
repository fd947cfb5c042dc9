import * as jose from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, discover, oidc, signInThroughPage } from '../../harness/clients.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { storageKinds } from '../../harness/storage.js';
import { password, redirectUri, setUpTenant, type TestTenant } from './fixture.js';

describe.each(storageKinds)('OpenID Connect full flow on %s', (storage) => {
  let gatehouse: RunningGatehouse;
  let tenant: TestTenant;

  beforeAll(async () => {
    gatehouse = await startGatehouse({ storage });
    tenant = await setUpTenant(gatehouse, 'smoke');
  });
  afterAll(async () => {
    await gatehouse?.close();
  });

  it('signs in through the hosted page, then refreshes, reads userinfo, introspects and revokes', async () => {
    const config = await discover(tenant.issuer, tenant.web.clientId, { secret: tenant.web.secret, auth: 'basic' });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const authorizeUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const jar = new CookieJar();
    const { callback } = await signInThroughPage(
      jar,
      authorizeUrl.href,
      { email: tenant.user.email, password },
      redirectUri,
    );

    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    expect(claims).toMatchObject({
      iss: tenant.issuer,
      sub: tenant.user.id,
      aud: tenant.web.clientId,
      nonce,
      amr: ['pwd'],
      email: tenant.user.email,
      email_verified: true,
      name: 'Alice Liddell',
    });
    expect(typeof claims?.sid).toBe('string');

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tenant.user.id);
    expect(userinfo).toMatchObject({ sub: tenant.user.id, email: tenant.user.email, given_name: 'Alice' });

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    const introspection = await oidc.tokenIntrospection(config, refreshed.access_token);
    expect(introspection).toMatchObject({ active: true, sub: tenant.user.id, client_id: tenant.web.clientId });

    await oidc.tokenRevocation(config, refreshed.refresh_token as string);
    expect(await oidc.tokenIntrospection(config, refreshed.access_token)).toEqual({ active: false });

    const { payload } = await jose.jwtVerify(
      refreshed.access_token,
      jose.createRemoteJWKSet(new URL(`${tenant.issuer}/jwks`)),
      { issuer: tenant.issuer, audience: tenant.issuer, typ: 'at+jwt' },
    );
    expect(payload.client_id).toBe(tenant.web.clientId);

    // Never a token, code, secret or cookie in the logs.
    await gatehouse.core.audit.flush();
    const logs = gatehouse.logs.join('\n');
    const secrets = [
      tenant.web.secret,
      callback.searchParams.get('code') as string,
      tokens.access_token,
      tokens.id_token as string,
      tokens.refresh_token as string,
      refreshed.access_token,
      refreshed.refresh_token as string,
      ...jar.values(),
    ];
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });

  it('issues a client_credentials access token whose subject is the client', async () => {
    const config = await discover(tenant.issuer, tenant.service.clientId, { secret: tenant.service.secret });
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'orders:read' });
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'orders:read', expires_in: 900 });
    expect(tokens.refresh_token).toBeUndefined();
    const { payload } = await jose.jwtVerify(
      tokens.access_token,
      jose.createRemoteJWKSet(new URL(`${tenant.issuer}/jwks`)),
      { issuer: tenant.issuer, typ: 'at+jwt' },
    );
    expect(payload).toMatchObject({ sub: tenant.service.clientId, client_id: tenant.service.clientId });
  });
});
