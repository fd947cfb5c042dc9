/**
 * Password sign-in (StartAuthentication, mechanism UP) through the same packages; an authenticator app enrolled on
 * the hosted page (QR code) answering OATH; recovery codes; Logout.
 */
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../../../src/lib/clock.js';
import { type EmulatorHarness, startEmulator } from '../../harness/emulator.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { aSocialTenant, CookieJar, envelopeNulls, security, userinfo } from './support.js';

let idp: EmulatorHarness;
let gatehouse: RunningGatehouse;
let base: string;
const clock = createTestClock();
const pat = { email: 'pat@pw.example', password: 'correct horse battery staple' };

beforeAll(async () => {
  idp = await startEmulator();
  gatehouse = await startGatehouse({ clock });
  await aSocialTenant(gatehouse.core, idp, 'pw');
  await gatehouse.core.users.create('pw', { ...pat, emailVerified: true, firstName: 'Pat', lastName: 'Word' });
  base = `${gatehouse.url}/t/pw`;
});
afterAll(async () => {
  await gatehouse?.close();
  await idp?.close();
});

interface Mechanism {
  AnswerType: string;
  Name: string;
  MechanismId: string;
}
interface Package {
  SessionId: string;
  Challenges: { Mechanisms: Mechanism[] }[];
}

const start = async (user: string, where = base, extra: Record<string, string> = {}) => {
  const started = await security(where, 'StartAuthentication', { User: user, Version: '1.0', ...extra });
  expect(started.body).toMatchObject({ success: true, Result: { Summary: 'NewPackage' } });
  return started.body.Result as Package;
};
const mechanism = (pkg: Package, step: number, name: string) =>
  pkg.Challenges[step]?.Mechanisms.find((m) => m.Name === name)?.MechanismId ?? '';
const answer = (pkg: Package, mechanismId: string, Answer: string, jar?: CookieJar) =>
  security(
    base,
    'AdvanceAuthentication',
    { TenantId: 'pw', SessionId: pkg.SessionId, MechanismId: mechanismId, Action: 'Answer', Answer },
    jar === undefined ? {} : { jar },
  );
/** The shape of a package without its random ids: what a caller can learn from it. */
const shape = (pkg: Package) => pkg.Challenges.map((c) => c.Mechanisms.map(({ MechanismId: _, ...rest }) => rest));

describe('POST /Security/StartAuthentication + AdvanceAuthentication (UP)', () => {
  it('answers a password package and LoginSuccess from the cloud directory', async () => {
    const pkg = await start(pat.email);
    expect(pkg).toEqual({
      ClientHints: { PersistDefault: false, AllowPersist: false, AllowForgotPassword: false },
      Version: '1.0',
      SessionId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      Challenges: [
        {
          Mechanisms: [
            {
              AnswerType: 'Text',
              Name: 'UP',
              PromptMechChosen: 'Enter Password',
              PromptSelectMech: 'Password',
              MechanismId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
            },
          ],
        },
      ],
      Summary: 'NewPackage',
      TenantId: 'pw',
    });
    const jar = new CookieJar();
    const done = await answer(pkg, mechanism(pkg, 0, 'UP'), pat.password, jar);
    const result = done.body.Result as Record<string, string>;
    expect(done.body).toEqual({
      success: true,
      Result: {
        AuthLevel: 'Normal',
        DisplayName: 'Pat Word',
        Auth: result.Auth,
        Token: result.Auth,
        UserId: expect.any(String),
        EmailAddress: pat.email,
        UserDirectory: 'CDS',
        PodFqdn: new URL(gatehouse.url).host,
        User: pat.email,
        CustomerID: 'pw',
        SystemID: 'pw',
        SourceDsType: 'CDS',
        Summary: 'LoginSuccess',
      },
      ...envelopeNulls,
    });
    expect((await gatehouse.core.tokens.verifyAccessToken('pw', result.Auth ?? '')).amr).toEqual(['pwd']);

    // Logout revokes the token and clears the cookie.
    expect((await userinfo(gatehouse, 'pw', result.Auth ?? '')).status).toBe(200);
    const out = await security(base, 'Logout', {}, { jar });
    expect(out.body).toEqual({ success: true, Result: null, ...envelopeNulls });
    expect(jar.cookies.has('.ASPXAUTH')).toBe(false);
    expect((await userinfo(gatehouse, 'pw', result.Auth ?? '')).status).toBe(401);
  });

  it('gives an unknown user the same package, and the same failure as a wrong password', async () => {
    const known = await start(pat.email);
    const unknown = await start('nobody@pw.example');
    expect(shape(unknown)).toEqual(shape(known));
    const wrong = await answer(known, mechanism(known, 0, 'UP'), 'not the password');
    const nobody = await answer(unknown, mechanism(unknown, 0, 'UP'), 'not the password');
    expect(nobody.body).toEqual(wrong.body);
    expect(wrong.body).toMatchObject({ success: false, Result: null, ErrorCode: 'AuthenticationFailed' });
  });

  it('finds the tenant from TenantId (any case) at the root, and refuses a TenantId that contradicts the path', async () => {
    const pkg = await start(pat.email, gatehouse.url, { TenantId: 'PW' });
    expect(pkg).toMatchObject({ TenantId: 'pw' });
    const contradicted = await security(base, 'StartAuthentication', { TenantId: 'other', User: pat.email });
    expect(contradicted.body).toMatchObject({
      success: false,
      ErrorCode: 'InvalidRequest',
      Message: 'TenantId does not match the path',
    });
  });
});

describe('an authenticator app enrolled on the hosted page', () => {
  let key = '';
  let recoveryCodes: string[] = [];
  const totp = () => TOTP.generate({ secret: Secret.fromBase32(key), timestamp: clock.now().getTime() });

  it('is set up with a QR code after a sign-in, confirmed by its first code, and yields recovery codes', async () => {
    const pkg = await start(pat.email);
    const jar = new CookieJar();
    await answer(pkg, mechanism(pkg, 0, 'UP'), pat.password, jar);
    const cookie = { cookie: jar.header() };

    const overview = await fetch(`${base}/mfa`, { headers: cookie });
    const overviewHtml = await overview.text();
    expect(overview.status).toBe(200);
    expect(overviewHtml).toContain('Authenticator app: <strong>not set up</strong>');
    const csrf = /name="csrf" value="([^"]+)"/.exec(overviewHtml)?.[1] ?? '';

    const form = (body: Record<string, string>) => ({
      method: 'POST',
      headers: { ...cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
    expect((await fetch(`${base}/mfa/totp`, form({ csrf: 'forged' }))).status).toBe(403);
    const begun = await fetch(`${base}/mfa/totp`, form({ csrf }));
    const begunHtml = await begun.text();
    expect(begunHtml).toMatch(
      /<img src="data:image\/png;base64,[A-Za-z0-9+/=]+" alt="QR code of the authenticator key"/,
    );
    key = /Key: <code>([A-Z2-7]+)<\/code>/.exec(begunHtml)?.[1] ?? '';
    expect(key).toMatch(/^[A-Z2-7]{32}$/);

    const confirmed = await fetch(`${base}/mfa/totp/confirm`, form({ csrf, code: totp() }));
    const confirmedHtml = await confirmed.text();
    expect(confirmed.status).toBe(200);
    recoveryCodes = [...confirmedHtml.matchAll(/<li><code>([a-z2-9]{5}-[a-z2-9]{5})<\/code><\/li>/g)].map(
      (m) => m[1] ?? '',
    );
    expect(recoveryCodes).toHaveLength(10);
    const factors = await gatehouse.storage.db
      .selectFrom('mfa_factors')
      .select(['kind', 'secret_enc', 'code_digest'])
      .execute();
    expect(factors.filter((f) => f.kind === 'totp')).toHaveLength(1);
    // Stored sealed and hashed: neither the key nor a code appears in the table.
    expect(JSON.stringify(factors)).not.toContain(key);
    for (const code of recoveryCodes) expect(JSON.stringify(factors)).not.toContain(code);
    expect(await (await fetch(`${base}/mfa`)).text()).toContain('sign in first');
  });

  it('is asked for after the password when the tenant wants a second factor for every sign-in', async () => {
    await gatehouse.core.tenants.update('pw', { policies: { mfa: 'all' } });
    clock.advance(30_000);
    const pkg = await start(pat.email);
    expect(shape(pkg)).toEqual([
      [{ AnswerType: 'Text', Name: 'UP', PromptMechChosen: 'Enter Password', PromptSelectMech: 'Password' }],
      [
        {
          AnswerType: 'StartOob',
          Name: 'EMAIL',
          PromptMechChosen: 'Click the link in the email sent to xxxx@pw.example',
          PromptSelectMech: 'Email... @pw.example',
          PartialAddress: 'pw.example',
        },
        {
          AnswerType: 'Text',
          Name: 'OATH',
          PromptMechChosen: 'Enter the code from your authenticator app',
          PromptSelectMech: 'Authenticator app (OATH OTP)',
        },
        {
          AnswerType: 'Text',
          Name: 'RECOVERY',
          PromptMechChosen: 'Enter one of your recovery codes',
          PromptSelectMech: 'Recovery code',
        },
      ],
    ]);
    // The second challenge cannot be answered first.
    const early = await answer(pkg, mechanism(pkg, 1, 'OATH'), totp());
    expect(early.body).toMatchObject({ success: false, ErrorCode: 'InvalidRequest' });
    const first = await answer(pkg, mechanism(pkg, 0, 'UP'), pat.password);
    expect(first.body).toEqual({ success: true, Result: { Summary: 'StartNextChallenge' }, ...envelopeNulls });
    const code = totp();
    const done = await answer(pkg, mechanism(pkg, 1, 'OATH'), code);
    expect(done.body.Result).toMatchObject({ Summary: 'LoginSuccess', UserDirectory: 'CDS' });
    const token = (done.body.Result as { Auth: string }).Auth;
    expect((await gatehouse.core.tokens.verifyAccessToken('pw', token)).amr).toEqual(['pwd', 'otp', 'mfa']);

    // The same code (same time step) does not work twice.
    const replay = await start(pat.email);
    await answer(replay, mechanism(replay, 0, 'UP'), pat.password);
    expect((await answer(replay, mechanism(replay, 1, 'OATH'), code)).body).toMatchObject({
      success: false,
      ErrorCode: 'AuthenticationFailed',
    });
  });

  it('accepts each recovery code once', async () => {
    const [code] = recoveryCodes;
    const use = async () => {
      const pkg = await start(pat.email);
      await answer(pkg, mechanism(pkg, 0, 'UP'), pat.password);
      return answer(pkg, mechanism(pkg, 1, 'RECOVERY'), (code ?? '').toUpperCase());
    };
    expect((await use()).body.Result).toMatchObject({ Summary: 'LoginSuccess' });
    expect((await use()).body).toMatchObject({ success: false, ErrorCode: 'AuthenticationFailed' });
    expect(
      await gatehouse.core.mfa.enrolment.summary(
        'pw',
        (await gatehouse.core.users.findByEmail('pw', pat.email))?.id ?? '',
      ),
    ).toEqual({
      totp: true,
      recoveryCodesLeft: 9,
    });
  });
});
