/**
 * Seed 004's example exchange, field by field: a tenant reached by its own host name, Facebook, and the user
 * ausem@mac.com ("Allen Usem"); then the same with the tenant's MFA policy on (the NewPackage with one EMAIL mechanism).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHarness, startEmulator } from '../../harness/emulator.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { connectionOf, deliverCallback, envelopeNulls, registerAppOf } from './support.js';

let idp: EmulatorHarness;
let gatehouse: RunningGatehouse;
let host: string;
const appUrl = 'https://myapp.mycompany.com';
const allen = {
  test_user_sub: '4242',
  test_user_email: 'ausem@mac.com',
  test_user_email_verified: 'true',
  test_user_name: 'Allen Usem',
};

beforeAll(async () => {
  idp = await startEmulator();
  gatehouse = await startGatehouse();
  host = new URL(gatehouse.url).host;
  // The pod: this tenant owns the server's host name, so the API is called at the root, as in the seed.
  const tenant = await gatehouse.core.tenants.create({ id: 'abc0123', hostnames: [host] });
  await gatehouse.core.clients.create(tenant.id, { clientId: 'myapp', public: true, callbackUrls: [appUrl] });
  await registerAppOf(idp, connectionOf('Facebook', idp.url));
  await gatehouse.core.connections.set(tenant.id, {
    ...connectionOf('Facebook', idp.url),
    scopes: ['public_profile', 'email'],
  });
});
afterAll(async () => {
  await gatehouse?.close();
  await idp?.close();
});

/** The seed's request, byte for byte (its trailing comma included). */
const startSocial = () =>
  fetch(`${gatehouse.url}/Security/StartSocialAuthentication`, {
    method: 'POST',
    headers: { 'X-IDAP-NATIVE-CLIENT': 'true', 'Content-Type': 'application/json' },
    body: '{\n\t"IdpName": "Facebook",\n\t"PostExtIdpAuthCallbackUrl": "https://myapp.mycompany.com",\n}',
  });

const signInAtFacebook = async () => {
  const started = await startSocial();
  expect(started.status).toBe(200);
  const body = (await started.json()) as { Result: { IdpRedirectUrl: string; ExtIdpAuthResumeSecret: string } };
  const idpUrl = new URL(body.Result.IdpRedirectUrl);
  const callback = await idp.signIn(idpUrl, '', allen);
  const response = await deliverCallback(callback);
  return { body, idpUrl, response, secret: body.Result.ExtIdpAuthResumeSecret };
};

/** The native app resumes with the callback URL's parameters, and the secret its start returned. */
const resume = (location: string, secret: string) => {
  const query = new URL(location).search;
  return fetch(`${gatehouse.url}/Security/ResumeFromExtIdpAuth${query}`, {
    method: 'POST',
    headers: { 'X-IDAP-NATIVE-CLIENT': 'true', 'Content-Type': 'application/json' },
    body: JSON.stringify({ ExtIdpAuthResumeSecret: secret }),
  });
};

describe('POST /Security/StartSocialAuthentication (seed 004)', () => {
  it('answers RedirectToIdp with the Facebook dialog URL, our callback and a {TenantId}-{uuid} state', async () => {
    const { body, idpUrl } = await signInAtFacebook();
    expect(body).toEqual({
      success: true,
      // ExtIdpAuthResumeSecret is Gatehouse's addition: the app sends it back to resume (login CSRF defence).
      Result: {
        IdpRedirectUrl: idpUrl.href,
        Status: 'RedirectToIdp',
        ExtIdpAuthResumeSecret: expect.stringMatching(/^[\w-]{43}$/),
      },
      ...envelopeNulls,
    });
    expect(Object.keys(body)).toEqual(['success', 'Result', ...Object.keys(envelopeNulls)]);
    expect(`${idpUrl.origin}${idpUrl.pathname}`).toBe(`${idp.url}/facebook/v23.0/dialog/oauth`);
    expect(Object.fromEntries(idpUrl.searchParams)).toEqual({
      response_type: 'code',
      client_id: '1234567890',
      // The connection's canonical callback URL, though the call came to the tenant's own host name.
      redirect_uri: `${gatehouse.url}/t/abc0123/SocialAuth/facebookAuthCallback`,
      scope: 'public_profile,email',
      state: expect.stringMatching(/^abc0123-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
    });
  });
});

describe('GET /SocialAuth/FacebookAuthCallback → POST /Security/ResumeFromExtIdpAuth (seed 004)', () => {
  it('redirects to the app with customerId, ExtIdpAuthChallengeState and username, then answers LoginSuccess', async () => {
    const { idpUrl, response, secret } = await signInAtFacebook();
    const state = idpUrl.searchParams.get('state');
    expect(response.status).toBe(302);
    const location = response.headers.get('location') ?? '';
    expect(location).toBe(`${appUrl}/?customerId=abc0123&ExtIdpAuthChallengeState=${state}&username=ausem%40mac.com`);

    const resumed = await resume(location, secret);
    expect(resumed.status).toBe(200);
    const body = (await resumed.json()) as { Result: Record<string, string> };
    const user = await gatehouse.core.users.findByEmail('abc0123', 'ausem@mac.com');
    const auth = body.Result.Auth ?? '';
    expect(body).toEqual({
      success: true,
      Result: {
        AuthLevel: 'Normal',
        DisplayName: 'Allen Usem',
        Auth: auth,
        Token: auth,
        UserId: user?.id,
        EmailAddress: 'ausem@mac.com',
        UserDirectory: 'FDS',
        PodFqdn: host,
        User: 'ausem@mac.com',
        CustomerID: 'abc0123',
        SystemID: 'abc0123',
        SourceDsType: 'FDS',
        Summary: 'LoginSuccess',
      },
      ...envelopeNulls,
    });
    // The seed's key order (Token, Gatehouse's addition, follows Auth).
    expect(Object.keys(body.Result)).toEqual([
      'AuthLevel',
      'DisplayName',
      'Auth',
      'Token',
      'UserId',
      'EmailAddress',
      'UserDirectory',
      'PodFqdn',
      'User',
      'CustomerID',
      'SystemID',
      'SourceDsType',
      'Summary',
    ]);
    expect(resumed.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^\.ASPXAUTH=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/),
    ]);
    const claims = await gatehouse.core.tokens.verifyAccessToken('abc0123', auth);
    expect(claims).toMatchObject({ userId: user?.id, clientId: 'myapp', amr: ['external'] });
  });

  it('answers NewPackage with one EMAIL mechanism when the tenant asks for a second factor after social logins', async () => {
    await gatehouse.core.tenants.update('abc0123', { policies: { mfa: 'social' } });
    try {
      const { response, secret } = await signInAtFacebook();
      const resumed = await resume(response.headers.get('location') ?? '', secret);
      const body = (await resumed.json()) as {
        Result: { SessionId: string; Challenges: { Mechanisms: { MechanismId: string }[] }[] };
      };
      const mechanismId = body.Result.Challenges[0]?.Mechanisms[0]?.MechanismId;
      expect(body).toEqual({
        success: true,
        Result: {
          ClientHints: { PersistDefault: false, AllowPersist: false, AllowForgotPassword: false },
          Version: '1.0',
          SessionId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
          Challenges: [
            {
              Mechanisms: [
                {
                  AnswerType: 'StartOob',
                  Name: 'EMAIL',
                  PromptMechChosen: 'Click the link in the email sent to xxxx@mac.com',
                  PromptSelectMech: 'Email... @mac.com',
                  PartialAddress: 'mac.com',
                  MechanismId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
                },
              ],
            },
          ],
          Summary: 'NewPackage',
          TenantId: 'abc0123',
        },
        ...envelopeNulls,
      });
      expect(Object.keys(body.Result)).toEqual([
        'ClientHints',
        'Version',
        'SessionId',
        'Challenges',
        'Summary',
        'TenantId',
      ]);
      expect(Object.keys(body.Result.Challenges[0]?.Mechanisms[0] ?? {})).toEqual([
        'AnswerType',
        'Name',
        'PromptMechChosen',
        'PromptSelectMech',
        'PartialAddress',
        'MechanismId',
      ]);
      expect(mechanismId).not.toBe(body.Result.SessionId);
      expect(resumed.headers.getSetCookie()).toEqual([]);
    } finally {
      await gatehouse.core.tenants.update('abc0123', { policies: { mfa: 'off' } });
    }
  });
});
