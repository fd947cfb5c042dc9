/**
 * A second factor by email after a social login: the code and the link arrive at a real SMTP receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHarness, startEmulator } from '../../harness/emulator.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { type SmtpHarness, startSmtp } from '../../harness/smtp.js';
import { expectNoWrites } from '../../harness/storage.js';
import {
  aSocialTenant,
  callbackParams,
  envelopeNulls,
  expectNotLogged,
  resume,
  security,
  socialLogin,
  userinfo,
} from './support.js';

let idp: EmulatorHarness;
let smtp: SmtpHarness;
let gatehouse: RunningGatehouse;
let base: string;

beforeAll(async () => {
  idp = await startEmulator();
  smtp = await startSmtp();
  gatehouse = await startGatehouse({ config: { smtpUrl: smtp.url, mailFrom: 'Gatehouse <login@gatehouse.test>' } });
  await aSocialTenant(gatehouse.core, idp, 'mail', { mfa: 'social' });
  base = `${gatehouse.url}/t/mail`;
});
afterAll(async () => {
  await gatehouse?.close();
  await smtp?.close();
  await idp?.close();
});

interface Package {
  SessionId: string;
  Challenges: { Mechanisms: { MechanismId: string; Name: string }[] }[];
}

/** Google login as a fresh made-up user, resumed: the NewPackage and its EMAIL mechanism. */
const toPackage = async (email: string) => {
  const sub = String(Math.floor(Math.random() * 1e9));
  const extra = {
    test_user_sub: sub,
    test_user_email: email,
    test_user_email_verified: 'true',
    test_user_name: 'Mia Mail',
  };
  const { response, secret } = await socialLogin(idp, base, 'Google', '', { extra });
  const params = Object.fromEntries(callbackParams(response));
  const resumed = await resume(base, params, secret);
  expect(resumed.body.Result).toMatchObject({ Summary: 'NewPackage' });
  const pkg = resumed.body.Result as Package;
  const email_ = pkg.Challenges[0]?.Mechanisms.find((m) => m.Name === 'EMAIL');
  return { params, secret, sessionId: pkg.SessionId, mechanismId: email_?.MechanismId ?? '' };
};

const advance = (sessionId: string, mechanismId: string, Action: string, Answer?: string) =>
  security(base, 'AdvanceAuthentication', {
    TenantId: 'mail',
    SessionId: sessionId,
    MechanismId: mechanismId,
    Action,
    ...(Answer === undefined ? {} : { Answer }),
  });

const codeOf = (text: string) => /Enter this code: (\d{6})/.exec(text)?.[1] ?? '';
const linkOf = (text: string) => /open this link to approve the sign-in: (\S+)/.exec(text)?.[1] ?? '';

describe('POST /Security/AdvanceAuthentication with EMAIL', () => {
  it('sends a code by SMTP on StartOOB and answers LoginSuccess for it', async () => {
    const { params, sessionId, mechanismId } = await toPackage('mia@mail.example');
    const started = await advance(sessionId, mechanismId, 'StartOOB');
    expect(started.body).toEqual({ success: true, Result: { Summary: 'OobPending' }, ...envelopeNulls });

    const mail = await smtp.next('mia@mail.example');
    expect(mail.from).toBe('login@gatehouse.test');
    expect(mail.subject).toBe('Confirm your sign-in');
    const code = codeOf(mail.text);
    expect(code).toMatch(/^\d{6}$/);
    expect(linkOf(mail.text)).toMatch(new RegExp(`^${gatehouse.url}/t/mail/mfa/email\\?token=[A-Za-z0-9_-]{43}$`));

    const done = await advance(sessionId, mechanismId, 'Answer', code);
    const user = await gatehouse.core.users.findByEmail('mail', 'mia@mail.example');
    const result = done.body.Result as Record<string, string>;
    expect(done.body).toEqual({
      success: true,
      Result: {
        AuthLevel: 'Normal',
        DisplayName: 'Mia Mail',
        Auth: result.Auth,
        Token: result.Auth,
        UserId: user?.id,
        EmailAddress: 'mia@mail.example',
        UserDirectory: 'FDS',
        PodFqdn: new URL(gatehouse.url).host,
        User: 'mia@mail.example',
        CustomerID: 'mail',
        SystemID: 'mail',
        SourceDsType: 'FDS',
        Summary: 'LoginSuccess',
      },
      ...envelopeNulls,
    });
    const claims = await gatehouse.core.tokens.verifyAccessToken('mail', result.Auth ?? '');
    expect(claims.amr).toEqual(['external', 'otp', 'mfa']);
    expect((await userinfo(gatehouse, 'mail', result.Auth ?? '')).status).toBe(200);

    // The code is spent: the session is complete, and the same answer finds nothing.
    const again = await advance(sessionId, mechanismId, 'Answer', code);
    expect(again.body).toMatchObject({ success: false, Result: null, ErrorCode: 'SessionInvalid' });
    const link = new URL(linkOf(mail.text)).searchParams.get('token') ?? '';
    expectNotLogged(gatehouse, [code, link, sessionId, params.ExtIdpAuthChallengeState ?? '', result.Auth ?? '']);
  });

  it('answers OobPending to Poll until the link is approved, then LoginSuccess; the link works once', async () => {
    const { sessionId, mechanismId } = await toPackage('lin@mail.example');
    await advance(sessionId, mechanismId, 'StartOOB');
    const link = linkOf((await smtp.next('lin@mail.example')).text);

    expect((await advance(sessionId, mechanismId, 'Poll')).body).toEqual({
      success: true,
      Result: { Summary: 'OobPending' },
      ...envelopeNulls,
    });
    // Opening the link changes nothing (mail scanners open links); the button approves.
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Approve this sign-in?');
    expect((await advance(sessionId, mechanismId, 'Poll')).body.Result).toEqual({ Summary: 'OobPending' });

    const confirm = (token: string) =>
      fetch(`${gatehouse.url}/t/mail/mfa/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
    const token = new URL(link).searchParams.get('token') ?? '';
    const approved = await confirm(token);
    expect(approved.status).toBe(200);
    expect(await approved.text()).toContain('Sign-in approved');
    const polled = await advance(sessionId, mechanismId, 'Poll');
    expect(polled.body.Result).toMatchObject({ Summary: 'LoginSuccess', EmailAddress: 'lin@mail.example' });

    const twice = await expectNoWrites(gatehouse.storage.db, () => confirm(token));
    expect(twice.status).toBe(400);
    expect(await twice.text()).toContain('has expired or was already used');
    expectNotLogged(gatehouse, [token]);
  });

  it('ends the session with LoginFailure at the fifth wrong code, and the right code no longer works', async () => {
    const { sessionId, mechanismId } = await toPackage('wrong@mail.example');
    await advance(sessionId, mechanismId, 'StartOOB');
    const code = codeOf((await smtp.next('wrong@mail.example')).text);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let attempt = 1; attempt <= 4; attempt++) {
      expect((await advance(sessionId, mechanismId, 'Answer', wrong)).body).toEqual({
        success: false,
        Result: null,
        Message:
          'Authentication (login or challenge) has failed. Please try again or contact your system administrator.',
        MessageID: null,
        Exception: null,
        ErrorID: null,
        ErrorCode: 'AuthenticationFailed',
        InnerExceptions: null,
      });
    }
    expect((await advance(sessionId, mechanismId, 'Answer', wrong)).body).toEqual({
      success: true,
      Result: { Summary: 'LoginFailure' },
      ...envelopeNulls,
      Message: 'Too many failed attempts. This authentication session has ended; start again.',
    });
    const late = await advance(sessionId, mechanismId, 'Answer', code);
    expect(late.body).toMatchObject({ success: false, ErrorCode: 'SessionInvalid' });

    const flow = await gatehouse.storage.db
      .selectFrom('login_flows')
      .select(['status', 'error', 'failed_attempts'])
      .where('tenant_id', '=', 'mail')
      .where('username', '=', 'wrong@mail.example')
      .executeTakeFirstOrThrow();
    expect(flow).toEqual({ status: 'failed', error: 'mfa_answer_invalid', failed_attempts: 5 });
  });

  it('refuses to resume a flow twice: the package is the only way on', async () => {
    const { params, sessionId, secret } = await toPackage('twice@mail.example');
    const again = await resume(base, params, secret);
    expect(again.body).toMatchObject({ success: false, Result: null, ErrorCode: 'SessionInvalid' });
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('ends the session on CleanupAuthentication: its mechanisms stop answering', async () => {
    const { sessionId, mechanismId } = await toPackage('clean@mail.example');
    const cleaned = await security(base, 'CleanupAuthentication', { SessionId: sessionId });
    expect(cleaned.body).toEqual({ success: true, Result: null, ...envelopeNulls });
    const after = await advance(sessionId, mechanismId, 'StartOOB');
    expect(after.body).toMatchObject({ success: false, ErrorCode: 'SessionInvalid' });
  });
});
