import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHarness, startEmulator } from '../../harness/emulator.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import {
  appCallback,
  aSocialTenant,
  CookieJar,
  callbackParams,
  deliverCallback,
  envelopeNulls,
  type Provider,
  providers,
  resume,
  security,
  socialLogin,
  userinfo,
} from './support.js';

let idp: EmulatorHarness;
let gatehouse: RunningGatehouse;

beforeAll(async () => {
  idp = await startEmulator();
  gatehouse = await startGatehouse();
  // One tenant per provider: alice's email is hers in each, so every first login creates her account.
  for (const provider of providers) await aSocialTenant(gatehouse.core, idp, `acme-${provider.toLowerCase()}`);
});
afterAll(async () => {
  await gatehouse?.close();
  await idp?.close();
});

/** What each emulated provider tells about alice, as Gatehouse's user shows it. */
const alice = { email: 'alice@example.com', name: 'Alice Liddell' };

describe('POST /Security/StartSocialAuthentication → IdP → /SocialAuth/{Idp}AuthCallback → ResumeFromExtIdpAuth', () => {
  it.each(
    providers,
  )('signs alice in through %s, creating her account, and the Auth token works at userinfo', async (provider: Provider) => {
    const tenantId = `acme-${provider.toLowerCase()}`;
    const base = `${gatehouse.url}/t/${tenantId}`;
    const { started, callback, response, idpRedirectUrl, secret } = await socialLogin(idp, base, provider, 'alice');
    expect(started.status).toBe(200);
    expect(started.body).toEqual({
      success: true,
      Result: { IdpRedirectUrl: idpRedirectUrl.href, Status: 'RedirectToIdp', ExtIdpAuthResumeSecret: secret },
      ...envelopeNulls,
    });
    const state = idpRedirectUrl.searchParams.get('state') ?? '';
    expect(state).toMatch(/^acme-[a-z]+-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(idpRedirectUrl.searchParams.get('redirect_uri')).toBe(
      `${base}/SocialAuth/${provider.toLowerCase()}AuthCallback`,
    );
    expect(callback.method).toBe(provider === 'Apple' ? 'POST' : 'GET');

    const params = callbackParams(response);
    expect(Object.fromEntries(params)).toEqual({
      customerId: tenantId,
      ExtIdpAuthChallengeState: state,
      username: alice.email,
    });

    const resumed = await resume(base, params, secret);
    const user_ = await gatehouse.core.users.findByEmail(tenantId, alice.email);
    const result = resumed.body.Result as Record<string, string>;
    expect(resumed.body).toEqual({
      success: true,
      Result: {
        AuthLevel: 'Normal',
        DisplayName: alice.name,
        Auth: result.Auth,
        Token: result.Auth,
        UserId: user_?.id,
        EmailAddress: alice.email,
        UserDirectory: 'FDS',
        PodFqdn: new URL(gatehouse.url).host,
        User: alice.email,
        CustomerID: tenantId,
        SystemID: tenantId,
        SourceDsType: 'FDS',
        Summary: 'LoginSuccess',
      },
      ...envelopeNulls,
    });
    const jar = new CookieJar();
    jar.take(resumed.response);
    expect(jar.cookies.get('.ASPXAUTH')).toBe(result.Auth);

    const info = await userinfo(gatehouse, tenantId, result.Auth ?? '');
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ sub: user_?.id, email: alice.email });
  });

  it("sends the connection's canonical callback URL when called at the root with TenantId too", async () => {
    const { idpRedirectUrl, response } = await socialLogin(idp, gatehouse.url, 'GitHub', 'alice', {
      tenantId: 'acme-github',
    });
    expect(idpRedirectUrl.searchParams.get('redirect_uri')).toBe(
      `${gatehouse.url}/t/acme-github/SocialAuth/githubAuthCallback`,
    );
    expect(callbackParams(response).get('username')).toBe(alice.email);
  });

  it('still completes a login whose callback arrives at the older keyword form', async () => {
    const base = `${gatehouse.url}/t/acme-linkedin`;
    const started = await security(base, 'StartSocialAuthentication', {
      IdpName: 'LinkedIn',
      PostExtIdpAuthCallbackUrl: appCallback,
    });
    const { IdpRedirectUrl } = started.body.Result as { IdpRedirectUrl: string };
    const callback = await idp.signIn(IdpRedirectUrl, 'alice');
    expect(callback.redirectUri).toBe(`${base}/SocialAuth/linkedinAuthCallback`);
    const response = await deliverCallback({ ...callback, redirectUri: `${base}/SocialAuth/LinkedInAuthCallback` });
    expect(response.status).toBe(302);
    expect(callbackParams(response).get('username')).toBe(alice.email);
  });
});
