/**
 * Two Gatehouse instances over one database, behind one public URL: a login started on one continues on the other at
 * every step, because the flow lives in the database and nowhere else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHarness, startEmulator } from '../../harness/emulator.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { type SmtpHarness, startSmtp } from '../../harness/smtp.js';
import { appCallback, aSocialTenant, callbackParams, resume, resumeSecretOf, security, userinfo } from './support.js';

let idp: EmulatorHarness;
let smtp: SmtpHarness;
let first: RunningGatehouse;
let second: RunningGatehouse;

beforeAll(async () => {
  idp = await startEmulator();
  smtp = await startSmtp();
  first = await startGatehouse({ config: { smtpUrl: smtp.url } });
  // Same database, same public URL (as behind a load balancer), its own process state.
  second = await startGatehouse({ sharedStorage: first.storage, config: { smtpUrl: smtp.url, publicUrl: first.url } });
  await aSocialTenant(first.core, idp, 'fleet', { mfa: 'social' });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
  await smtp?.close();
  await idp?.close();
});

/** What the load balancer does: the same request, to the other instance. */
const at = (instance: RunningGatehouse, url: string) => {
  const target = new URL(url);
  return `${instance.url}${target.pathname}${target.search}`;
};

describe('a Security API login across two instances sharing the database', () => {
  it('starts on one, returns from the IdP to the other, and answers its second factor on both', async () => {
    const started = await security(`${first.url}/t/fleet`, 'StartSocialAuthentication', {
      IdpName: 'GitHub',
      PostExtIdpAuthCallbackUrl: appCallback,
    });
    const { IdpRedirectUrl } = started.body.Result as { IdpRedirectUrl: string };
    const callback = await idp.signIn(IdpRedirectUrl, 'alice');
    expect(callback.redirectUri).toBe(`${first.url}/t/fleet/SocialAuth/githubAuthCallback`);

    const returned = await fetch(at(second, `${callback.redirectUri}?${callback.params}`), { redirect: 'manual' });
    const params = Object.fromEntries(callbackParams(returned));
    expect(params.username).toBe('alice@example.com');

    const secret = resumeSecretOf(started);
    const resumed = await resume(`${first.url}/t/fleet`, params, secret);
    const pkg = resumed.body.Result as { SessionId: string; Challenges: { Mechanisms: { MechanismId: string }[] }[] };
    const mechanismId = pkg.Challenges[0]?.Mechanisms[0]?.MechanismId ?? '';
    const advance = (instance: RunningGatehouse, Action: string, Answer?: string) =>
      security(`${instance.url}/t/fleet`, 'AdvanceAuthentication', {
        SessionId: pkg.SessionId,
        MechanismId: mechanismId,
        Action,
        ...(Answer === undefined ? {} : { Answer }),
      });

    expect((await advance(second, 'StartOOB')).body.Result).toEqual({ Summary: 'OobPending' });
    const code = /Enter this code: (\d{6})/.exec((await smtp.next('alice@example.com')).text)?.[1] ?? '';
    const done = await advance(first, 'Answer', code);
    expect(done.body.Result).toMatchObject({ Summary: 'LoginSuccess', User: 'alice@example.com' });

    const token = (done.body.Result as { Auth: string }).Auth;
    expect((await userinfo(second, 'fleet', token)).body).toMatchObject({ email: 'alice@example.com' });
    // The other instance sees the finished flow too: it cannot be resumed again there.
    const again = await resume(`${second.url}/t/fleet`, params, secret);
    expect(again.body).toMatchObject({ success: false, ErrorCode: 'SessionInvalid' });
  });
});
