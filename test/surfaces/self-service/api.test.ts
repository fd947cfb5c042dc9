/** The self-service JSON API: sign-up, verification, recovery and code sign-in, their limits and their silence. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../../../src/lib/clock.js';
import { idpProfile } from '../../harness/accounts.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { type SmtpHarness, startSmtp } from '../../harness/smtp.js';
import { expectNoWrites } from '../../harness/storage.js';
import { postForm } from '../oauth/fixture.js';
import { codeOf, linkTokenOf, mailedTo, postJson } from './support.js';

let smtp: SmtpHarness;
let gatehouse: RunningGatehouse;
const clock = createTestClock();
const password = 'a long and unusual passphrase';

beforeAll(async () => {
  smtp = await startSmtp();
  gatehouse = await startGatehouse({ clock, config: { smtpUrl: smtp.url } });
});
afterAll(async () => {
  await gatehouse?.close();
  await smtp?.close();
});

let tenants = 0;
/** A fresh tenant with `policies` and a client allowed the password grant (for refresh tokens). */
const aTenant = async (policies: Record<string, unknown> = {}) => {
  const id = `self-${++tenants}`;
  await gatehouse.core.tenants.create({ id, name: `Shop ${tenants}`, policies });
  const mobile = await gatehouse.core.clients.create(id, {
    clientId: `${id}-mobile`,
    name: 'App',
    grantTypes: ['password', 'refresh_token'],
  });
  const base = `${gatehouse.issuer(id)}/self-service`;
  return {
    id,
    base,
    mobile: { clientId: mobile.client.clientId, secret: mobile.clientSecret as string },
    post: (path: string, body: unknown) => postJson(`${base}${path}`, body),
  };
};

const checkYourMail = { status: 202, text: '{"status":"check_your_mail"}' };

describe('sign-up with a password, then verification', () => {
  it('creates an unverified account, mails a code, and the code verifies the address once', async () => {
    const tenant = await aTenant();
    const email = 'new.person@example.com';
    const answer = await tenant.post('/sign-up', { email: 'New.Person@Example.com', password, given_name: 'New' });
    expect({ status: answer.status, text: answer.text }).toEqual(checkYourMail);
    const user = await gatehouse.core.users.findByEmail(tenant.id, email);
    expect(user).toMatchObject({ emailVerified: false, hasPassword: true, firstName: 'New' });

    const mail = await smtp.next(email);
    expect(mail.subject).toMatch(/^Confirm your address for Shop \d+$/);
    const code = codeOf(mail);
    const wrong = code === '000000' ? '111111' : '000000';
    const refused = await tenant.post('/verification', { email, code: wrong });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: 'invalid_grant',
      error_description: 'the code or link is wrong, expired or already used',
    });

    const verified = await tenant.post('/verification', { email, code });
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ email, email_verified: true });
    expect((await gatehouse.core.users.findByEmail(tenant.id, email))?.emailVerified).toBe(true);

    const replayed = await tenant.post('/verification', { email, code });
    expect(replayed.status).toBe(400);
  });

  it('answers a taken address exactly as a new one, changes nothing of the owner, and mails the owner a note', async () => {
    const tenant = await aTenant();
    const owner = await gatehouse.core.users.create(tenant.id, {
      email: 'owner@example.com',
      password: 'the owner passphrase',
      emailVerified: true,
    });
    const taken = await tenant.post('/sign-up', { email: 'owner@example.com', password });
    const fresh = await tenant.post('/sign-up', { email: 'fresh@example.com', password });
    expect({ status: taken.status, text: taken.text }).toEqual(checkYourMail);
    expect({ status: fresh.status, text: fresh.text }).toEqual({ status: fresh.status, text: taken.text });

    const note = await smtp.next('owner@example.com');
    expect(note.subject).toMatch(/^Someone tried to sign up at Shop \d+ with your address$/);
    expect(note.text).not.toMatch(/\b\d{6}\b/);
    const after = await gatehouse.core.users.findByEmail(tenant.id, 'owner@example.com');
    expect(after).toMatchObject({ id: owner.id, emailVerified: true });
    await expect(
      gatehouse.core.users.verifyCredentials(tenant.id, 'owner@example.com', 'the owner passphrase'),
    ).resolves.toMatchObject({ id: owner.id });
    await expect(gatehouse.core.users.verifyCredentials(tenant.id, 'owner@example.com', password)).rejects.toThrow();
    await smtp.next('fresh@example.com');
  });

  it('never verifies address B with the code mailed to A', async () => {
    const tenant = await aTenant();
    await tenant.post('/sign-up', { email: 'a@example.com', password });
    await tenant.post('/sign-up', { email: 'b@example.com', password });
    const codeA = codeOf(await smtp.next('a@example.com'));
    const codeB = codeOf(await smtp.next('b@example.com'));
    if (codeA !== codeB) {
      const crossed = await tenant.post('/verification', { email: 'b@example.com', code: codeA });
      expect(crossed.status).toBe(400);
    }
    expect((await gatehouse.core.users.findByEmail(tenant.id, 'b@example.com'))?.emailVerified).toBe(false);
    expect((await tenant.post('/verification', { email: 'b@example.com', code: codeB })).status).toBe(200);
    expect((await gatehouse.core.users.findByEmail(tenant.id, 'a@example.com'))?.emailVerified).toBe(false);
  });

  it('refuses a code after fifteen minutes, and a re-sent code works', async () => {
    const tenant = await aTenant();
    const email = 'late@example.com';
    await tenant.post('/sign-up', { email, password });
    const code = codeOf(await smtp.next(email));
    clock.advance(15 * 60 * 1000 + 1);
    expect((await tenant.post('/verification', { email, code })).status).toBe(400);
    const resent = await tenant.post('/verification/resend', { email });
    expect({ status: resent.status, text: resent.text }).toEqual(checkYourMail);
    const again = codeOf(await smtp.next(email));
    expect((await tenant.post('/verification', { email, code: again })).status).toBe(200);
  });

  it('verifies by the mailed link once', async () => {
    const tenant = await aTenant();
    const email = 'linked@example.com';
    await tenant.post('/sign-up', { email, password });
    const { url, token } = linkTokenOf(await smtp.next(email));
    expect(url.startsWith(`${gatehouse.issuer(tenant.id)}/verify-email?token=`)).toBe(true);
    await gatehouse.core.selfService.verification.withLink({
      tenant: await gatehouse.core.tenants.require(tenant.id),
      token,
    });
    expect((await gatehouse.core.users.findByEmail(tenant.id, email))?.emailVerified).toBe(true);
    await expect(
      gatehouse.core.selfService.verification.withLink({
        tenant: await gatehouse.core.tenants.require(tenant.id),
        token,
      }),
    ).rejects.toMatchObject({ code: 'invalid_grant' });
  });

  it('refuses short, overlong and common passwords with a clear error and writes nothing', async () => {
    const tenant = await aTenant();
    for (const [weak, description] of [
      ['short', 'password: must be at least 8 characters'],
      ['x'.repeat(129), 'password: must be at most 128 characters'],
      ['Password1', 'password: is one of the most common passwords; choose another'],
      ['qwerty123', 'password: is one of the most common passwords; choose another'],
    ] as const) {
      const refused = await expectNoWrites(gatehouse.storage.db, () =>
        tenant.post('/sign-up', { email: 'weak@example.com', password: weak }),
      );
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({ error: 'invalid_request', error_description: description });
    }
    const long = 'ü'.repeat(64);
    expect((await tenant.post('/sign-up', { email: 'long@example.com', password: long })).status).toBe(202);
    expect((await tenant.post('/sign-up', { email: 'eight@example.com', password: 'tz8&Lq2r' })).status).toBe(202);
  });

  it('refuses bad input in its own format and writes nothing', async () => {
    const tenant = await aTenant();
    for (const body of [{}, { email: 'not-an-email', password }, { email: 'x@example.com', password, extra: 1 }]) {
      const refused = await expectNoWrites(gatehouse.storage.db, () => tenant.post('/sign-up', body));
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_request');
    }
    const unknownTenant = await postJson(`${gatehouse.url}/t/nope/self-service/recovery`, { email: 'x@example.com' });
    expect(unknownTenant.status).toBe(404);
  });
});

describe('the tenant signup policy', () => {
  it('off: refuses password sign-ups (403) and creates nothing, and the Flex-style registration is refused too', async () => {
    const tenant = await aTenant({ signup: 'off' });
    const refused = await expectNoWrites(gatehouse.storage.db, () =>
      tenant.post('/sign-up', { email: 'nobody@example.com', password }),
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('access_denied');
    await expect(
      gatehouse.core.selfService.registerWithPassword({
        tenant: await gatehouse.core.tenants.require(tenant.id),
        email: 'nobody@example.com',
        password,
        actor: 'anonymous',
      }),
    ).rejects.toMatchObject({ code: 'access_denied' });
  });

  it('password: an identity provider creates no account, and nothing is written', async () => {
    const tenant = await aTenant({ signup: 'password' });
    const core = gatehouse.core;
    const input = {
      tenant: await core.tenants.require(tenant.id),
      profile: idpProfile('github', 'gh-1', 'upstream@example.com'),
      connectionTrusted: true,
      intent: { kind: 'signup' as const },
    };
    await expect(expectNoWrites(gatehouse.storage.db, () => core.accounts.resolve(input))).rejects.toMatchObject({
      code: 'access_denied',
    });
  });

  it('upstream: password sign-ups are refused, identity providers create accounts', async () => {
    const tenant = await aTenant({ signup: 'upstream' });
    expect((await tenant.post('/sign-up', { email: 'p@example.com', password })).status).toBe(403);
    const core = gatehouse.core;
    const { resolution } = await core.accounts.resolve({
      tenant: await core.tenants.require(tenant.id),
      profile: idpProfile('github', 'gh-2', 'upstream2@example.com'),
      connectionTrusted: true,
      intent: { kind: 'signup' },
    });
    expect(resolution.kind).toBe('created');
  });
});

describe('recovery', () => {
  const signInWithPassword = (tenant: Awaited<ReturnType<typeof aTenant>>, email: string, secret: string) =>
    postForm(
      `${gatehouse.issuer(tenant.id)}/token`,
      { grant_type: 'password', username: email, password: secret, scope: 'openid email' },
      { basic: tenant.mobile },
    );

  it('answers the same for an address with and without an account, and mails only the account', async () => {
    const tenant = await aTenant();
    await gatehouse.core.users.create(tenant.id, { email: 'has@example.com', password, emailVerified: true });
    const known = await tenant.post('/recovery', { email: 'has@example.com' });
    const unknown = await tenant.post('/recovery', { email: 'hasnt@example.com' });
    expect({ status: known.status, text: known.text }).toEqual(checkYourMail);
    expect({ status: unknown.status, text: unknown.text }).toEqual(checkYourMail);
    for (const header of ['content-type', 'content-length', 'cache-control'])
      expect(known.headers.get(header), header).toBe(unknown.headers.get(header));
    expect((await smtp.next('has@example.com')).subject).toMatch(/^Set a new password for Shop \d+$/);
    expect(await mailedTo(gatehouse.core, smtp, 'hasnt@example.com')).toBe(false);
  });

  it('sets a new password with the code, ends every session and refresh token, and is single use', async () => {
    const tenant = await aTenant();
    const email = 'forgetful@example.com';
    const user = await gatehouse.core.users.create(tenant.id, { email, password, emailVerified: true });
    const earlier = await signInWithPassword(tenant, email, password);
    expect(earlier.status).toBe(200);
    const refreshToken = (earlier.body as { refresh_token: string }).refresh_token;
    const coreTenant = await gatehouse.core.tenants.require(tenant.id);
    const session = await gatehouse.core.sessions.start({
      tenant: coreTenant,
      userId: user.id,
      amr: ['pwd'],
      authTime: clock.now(),
    });

    await tenant.post('/recovery', { email });
    const code = codeOf(await smtp.next(email));
    const weak = await tenant.post('/recovery/complete', { email, code, password: 'password1' });
    expect(weak.status).toBe(400);
    const newPassword = 'a brand new passphrase';
    const done = await tenant.post('/recovery/complete', { email, code, password: newPassword });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ status: 'password_changed' });

    const refreshed = await postForm(
      `${gatehouse.issuer(tenant.id)}/token`,
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      { basic: tenant.mobile },
    );
    expect(refreshed.status).toBe(400);
    expect((refreshed.body as { error: string }).error).toBe('invalid_grant');
    expect(await gatehouse.core.sessions.find(coreTenant, session.cookie)).toBeUndefined();
    expect((await signInWithPassword(tenant, email, password)).status).toBe(400);
    expect((await signInWithPassword(tenant, email, newPassword)).status).toBe(200);

    const again = await tenant.post('/recovery/complete', { email, code, password: 'yet another passphrase' });
    expect(again.status).toBe(400);
    await gatehouse.core.audit.flush();
    const events = await gatehouse.core.audit.list(tenant.id);
    expect(events.find((event) => event.type === 'user.password_reset')).toMatchObject({
      user_id: user.id,
      details: { method: 'email_code', sessionsEnded: 1, familiesRevoked: 1 },
    });
  });

  it('sets a new password with the mailed link once; an expired link fails', async () => {
    const tenant = await aTenant();
    const email = 'linker@example.com';
    await gatehouse.core.users.create(tenant.id, { email, password, emailVerified: false });
    await tenant.post('/recovery', { email });
    const { token } = linkTokenOf(await smtp.next(email));
    const done = await tenant.post('/recovery/complete', { token, password: 'the linked passphrase' });
    expect(done.status).toBe(200);
    expect((await gatehouse.core.users.findByEmail(tenant.id, email))?.emailVerified).toBe(true);
    expect((await tenant.post('/recovery/complete', { token, password: 'the linked passphrase 2' })).status).toBe(400);

    await tenant.post('/recovery', { email });
    const late = linkTokenOf(await smtp.next(email));
    clock.advance(15 * 60 * 1000 + 1);
    expect(
      (await tenant.post('/recovery/complete', { token: late.token, password: 'too late passphrase' })).status,
    ).toBe(400);
  });

  it('a code for an address without an account sets nothing', async () => {
    const tenant = await aTenant();
    await tenant.post('/recovery', { email: 'ghost@example.com' });
    const answers: number[] = [];
    for (const code of ['123456', '654321'])
      answers.push((await tenant.post('/recovery/complete', { email: 'ghost@example.com', code, password })).status);
    expect(answers).toEqual([400, 400]);
    expect(await gatehouse.core.users.findByEmail(tenant.id, 'ghost@example.com')).toBeUndefined();
  });
});

describe('sign-in with a mailed code', () => {
  it('is refused where the tenant has not enabled it', async () => {
    const tenant = await aTenant();
    const refused = await tenant.post('/code-sign-in', { email: 'x@example.com' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('access_denied');
  });

  it('signs an account in with tokens, answers unknown addresses the same, and creates an account when signup allows', async () => {
    const tenant = await aTenant({ emailCodeSignIn: true });
    await gatehouse.core.users.create(tenant.id, { email: 'member@example.com', emailVerified: true });
    const known = await tenant.post('/code-sign-in', { email: 'member@example.com' });
    const unknown = await tenant.post('/code-sign-in', { email: 'newcomer@example.com' });
    expect({ status: known.status, text: known.text }).toEqual(checkYourMail);
    expect({ status: unknown.status, text: unknown.text }).toEqual(checkYourMail);

    const code = codeOf(await smtp.next('member@example.com'));
    const signedIn = await tenant.post('/code-sign-in/complete', {
      email: 'member@example.com',
      code,
      client_id: tenant.mobile.clientId,
      client_secret: tenant.mobile.secret,
    });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toMatchObject({ token_type: 'Bearer' });
    expect(signedIn.body.refresh_token).toBeUndefined();
    const replay = await tenant.post('/code-sign-in/complete', {
      email: 'member@example.com',
      code,
      client_id: tenant.mobile.clientId,
      client_secret: tenant.mobile.secret,
    });
    expect(replay.status).toBe(400);

    const newcomerMail = await smtp.next('newcomer@example.com');
    expect(newcomerMail.subject).toMatch(/^Your code to create an account at Shop \d+$/);
    const created = await tenant.post('/code-sign-in/complete', {
      email: 'newcomer@example.com',
      code: codeOf(newcomerMail),
      client_id: tenant.mobile.clientId,
      client_secret: tenant.mobile.secret,
    });
    expect(created.status).toBe(200);
    expect(await gatehouse.core.users.findByEmail(tenant.id, 'newcomer@example.com')).toMatchObject({
      emailVerified: true,
      hasPassword: false,
    });
  });

  it('gives a confidential client’s tokens only to that client, and no tokens where a second factor is required', async () => {
    const tenant = await aTenant({ emailCodeSignIn: true });
    await gatehouse.core.users.create(tenant.id, { email: 'named@example.com', emailVerified: true });
    await tenant.post('/code-sign-in', { email: 'named@example.com' });
    const code = codeOf(await smtp.next('named@example.com'));
    // Naming a confidential client without its secret, or with a wrong one, gets nothing, and the code stays good.
    for (const secret of [undefined, 'not-the-secret']) {
      const refused = await tenant.post('/code-sign-in/complete', {
        email: 'named@example.com',
        code,
        client_id: tenant.mobile.clientId,
        ...(secret === undefined ? {} : { client_secret: secret }),
      });
      expect(refused.status).toBe(401);
      expect(refused.body.error).toBe('invalid_client');
    }
    const signedIn = await tenant.post('/code-sign-in/complete', {
      email: 'named@example.com',
      code,
      client_id: tenant.mobile.clientId,
      client_secret: tenant.mobile.secret,
    });
    expect(signedIn.status).toBe(200);

    const strict = await aTenant({ emailCodeSignIn: true, mfa: 'all' });
    await gatehouse.core.users.create(strict.id, { email: 'strict@example.com', emailVerified: true });
    await strict.post('/code-sign-in', { email: 'strict@example.com' });
    const strictCode = codeOf(await smtp.next('strict@example.com'));
    const body = {
      email: 'strict@example.com',
      code: strictCode,
      client_id: strict.mobile.clientId,
      client_secret: strict.mobile.secret,
    };
    const refused = await expectNoWrites(gatehouse.storage.db, () => strict.post('/code-sign-in/complete', body));
    // As at the token endpoint (RFC 6749 §5.2): the grant is refused, and the description says why.
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: 'invalid_grant',
      error_description:
        'a second factor is required for this sign-in; sign in through the authorization endpoint, which asks for one',
    });
  });

  it('mails nothing and creates nothing for an unknown address when signup is off', async () => {
    const tenant = await aTenant({ emailCodeSignIn: true, signup: 'off' });
    const answer = await tenant.post('/code-sign-in', { email: 'stranger@example.com' });
    expect({ status: answer.status, text: answer.text }).toEqual(checkYourMail);
    expect(await mailedTo(gatehouse.core, smtp, 'stranger@example.com')).toBe(false);
  });

  it('takes an unverified account from whoever pre-registered it: password, sessions and tokens removed', async () => {
    const tenant = await aTenant({ emailCodeSignIn: true });
    const squatter = await gatehouse.core.users.create(tenant.id, { email: 'victim@example.com', password });
    await tenant.post('/code-sign-in', { email: 'victim@example.com' });
    const code = codeOf(await smtp.next('victim@example.com'));
    expect(
      (
        await tenant.post('/code-sign-in/complete', {
          email: 'victim@example.com',
          code,
          client_id: tenant.mobile.clientId,
          client_secret: tenant.mobile.secret,
        })
      ).status,
    ).toBe(200);
    expect(await gatehouse.core.users.find(tenant.id, squatter.id)).toMatchObject({
      emailVerified: true,
      hasPassword: false,
    });
  });

  it('kills a code at its fifth wrong answer, and limits answers per address', async () => {
    const tenant = await aTenant({ emailCodeSignIn: true });
    const email = 'target@example.com';
    await gatehouse.core.users.create(tenant.id, { email, emailVerified: true });
    await tenant.post('/code-sign-in', { email });
    const code = codeOf(await smtp.next(email));
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const refused = await tenant.post('/code-sign-in/complete', {
        email,
        code: wrong,
        client_id: tenant.mobile.clientId,
        client_secret: tenant.mobile.secret,
      });
      expect(refused.status).toBe(400);
    }
    const dead = await tenant.post('/code-sign-in/complete', {
      email,
      code,
      client_id: tenant.mobile.clientId,
      client_secret: tenant.mobile.secret,
    });
    expect(dead.status).toBe(400);

    await tenant.post('/code-sign-in', { email });
    const fresh = codeOf(await smtp.next(email));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (
          await tenant.post('/code-sign-in/complete', {
            email,
            code: wrong,
            client_id: tenant.mobile.clientId,
            client_secret: tenant.mobile.secret,
          })
        ).status,
      );
    // Six answers so far for this address; ten are allowed in the window, then even the right code waits.
    expect(statuses).toEqual([400, 400, 400, 400]);
    const limited = await tenant.post('/code-sign-in/complete', {
      email,
      code: fresh,
      client_id: tenant.mobile.clientId,
      client_secret: tenant.mobile.secret,
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited.body.error).toBe('temporarily_unavailable');
  });

  it('limits mails per address, the same for an address with and without an account', async () => {
    const tenant = await aTenant({ emailCodeSignIn: true });
    await gatehouse.core.users.create(tenant.id, { email: 'busy@example.com', emailVerified: true });
    for (const email of ['busy@example.com', 'idle@example.com']) {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await tenant.post('/code-sign-in', { email })).status);
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
    }
  });
});

describe('logs', () => {
  it('hold no mailed code, link token or password', async () => {
    const tenant = await aTenant({ emailCodeSignIn: true });
    const secrets: string[] = [password];
    await tenant.post('/sign-up', { email: 'logged@example.com', password });
    const verify = await smtp.next('logged@example.com');
    secrets.push(codeOf(verify), linkTokenOf(verify).token);
    await tenant.post('/verification', { email: 'logged@example.com', code: codeOf(verify) });
    await tenant.post('/recovery', { email: 'logged@example.com' });
    const recovery = await smtp.next('logged@example.com');
    secrets.push(codeOf(recovery), linkTokenOf(recovery).token, 'the logged new passphrase');
    await tenant.post('/recovery/complete', {
      token: linkTokenOf(recovery).token,
      password: 'the logged new passphrase',
    });
    await tenant.post('/code-sign-in', { email: 'logged@example.com' });
    const code = codeOf(await smtp.next('logged@example.com'));
    secrets.push(code);
    await tenant.post('/code-sign-in/complete', {
      email: 'logged@example.com',
      code,
      client_id: tenant.mobile.clientId,
      client_secret: tenant.mobile.secret,
    });
    const logs = gatehouse.logs.join('\n');
    // A code is six digits: only a standalone one counts (timestamps and ids hold digit runs of their own).
    for (const secret of secrets) expect(logs).not.toMatch(new RegExp(`(?<![0-9A-Za-z])${secret}(?![0-9A-Za-z])`));
  });
});
