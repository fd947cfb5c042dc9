import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatehouseError } from '../../src/core/errors.js';
import { secondFactorRequired } from '../../src/core/flows/assurance.js';
import type { AdvanceResult } from '../../src/core/flows/engine.js';
import type { Tenant } from '../../src/core/tenants/tenant.js';
import { createTestClock } from '../../src/lib/clock.js';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';

let gatehouse: RunningGatehouse;
let tenant: Tenant;
const clock = createTestClock();
const password = 'correct horse battery staple';

beforeAll(async () => {
  gatehouse = await startGatehouse({ clock });
  tenant = await gatehouse.core.tenants.create({ id: 'mfa-core', policies: { mfa: 'all' } });
  await gatehouse.core.clients.create(tenant.id, { clientId: 'mfa-core-app', public: true });
});
afterAll(async () => {
  await gatehouse?.close();
});

let users = 0;
/** A new user with a password, and a password login past its first challenge (the second waits). */
const pastPassword = async (email = `user${++users}@mfa.example`) => {
  const { core } = gatehouse;
  if ((await core.users.findByEmail(tenant.id, email)) === undefined)
    await core.users.create(tenant.id, { email, password, emailVerified: true });
  const { package: pkg } = await core.login.startPasswordLogin({
    tenant,
    username: email,
    target: { kind: 'api', clientId: 'mfa-core-app' },
  });
  const id = (step: number, name: string) => pkg.challenges[step]?.mechanisms.find((m) => m.name === name)?.id ?? '';
  const advance = (mechanismId: string, action: 'answer' | 'start_oob' | 'poll', answer?: string) =>
    core.mfa.advance({
      tenant,
      flow: { sessionId: pkg.sessionId },
      target: 'api',
      mechanismId,
      action,
      ...(answer === undefined ? {} : { answer }),
    });
  expect((await advance(id(0, 'password'), 'answer', password)).kind).toBe('next_challenge');
  return { email, advance, email_: id(1, 'email_code'), oath: id(1, 'totp'), sessionId: pkg.sessionId };
};

/** The sign-in codes mailed to `to`, newest first (the development outbox keeps every message). */
const codesSentTo = async (to: string): Promise<string[]> =>
  (await gatehouse.core.mail.outbox())
    .filter((m) => m.to === to)
    .flatMap((m) => /Enter this code: (\d{6})/.exec(m.text)?.[1] ?? []);

/** The one code mailed to `to` most recently; fails when none was. */
const latestCode = async (to: string): Promise<string> => {
  const [code] = await codesSentTo(to);
  if (code === undefined) throw new Error(`no code was mailed to ${to}`);
  return code;
};

const failure = async (promise: Promise<unknown>): Promise<string> => {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatehouseError);
  return (error as GatehouseError).code;
};

describe('mfa policy', () => {
  it.each([
    ['off', 'upstream', false],
    ['off', 'password', false],
    ['social', 'upstream', true],
    ['social', 'password', false],
    ['all', 'upstream', true],
    ['all', 'password', true],
  ] as const)('with mfa=%s after a %s sign-in asks for a second factor: %s', (mfa, firstFactor, expected) => {
    expect(secondFactorRequired({ ...tenant, policies: { linking: 'merge_needed', mfa } }, firstFactor)).toBe(expected);
  });
});

describe('email challenges', () => {
  it('accepts only the newest code when the email is sent again', async () => {
    const login = await pastPassword();
    await login.advance(login.email_, 'start_oob');
    await login.advance(login.email_, 'start_oob');
    const [second, first] = await codesSentTo(login.email);
    // Two mails, two codes: the second sending made a new code (a repeat has a one-in-a-million chance).
    expect(await codesSentTo(login.email)).toHaveLength(2);
    expect(second).not.toBe(first);
    expect(await failure(login.advance(login.email_, 'answer', first))).toBe('mfa_answer_invalid');
    expect((await login.advance(login.email_, 'answer', second)).kind).toBe('complete');
  });

  it('stops working when it expires with its flow', async () => {
    const login = await pastPassword();
    await login.advance(login.email_, 'start_oob');
    const code = await latestCode(login.email);
    clock.advance(10 * 60 * 1000 + 1);
    expect(await failure(login.advance(login.email_, 'answer', code))).toBe('flow_invalid');
  });

  it('sends at most three emails per flow', async () => {
    const login = await pastPassword();
    for (let i = 0; i < 3; i++) expect((await login.advance(login.email_, 'start_oob')).kind).toBe('oob_pending');
    expect(await failure(login.advance(login.email_, 'start_oob'))).toBe('rate_limited');
    // Three mails went out, and the refused fourth sent none.
    expect(await codesSentTo(login.email)).toHaveLength(3);
  });

  it('completes once when the right code is answered twice at the same moment', async () => {
    const login = await pastPassword();
    await login.advance(login.email_, 'start_oob');
    const code = await latestCode(login.email);
    const results = await Promise.allSettled([
      login.advance(login.email_, 'answer', code),
      login.advance(login.email_, 'answer', code),
    ]);
    const completed = results.filter((r) => r.status === 'fulfilled' && r.value.kind === 'complete');
    expect(completed).toHaveLength(1);
    const grant = (completed[0] as PromiseFulfilledResult<AdvanceResult & { kind: 'complete' }>).value.finished.grant;
    expect(grant?.accessToken).toMatch(/^ey/);
  });
});

describe('wrong answers', () => {
  it('count per user across flows: a new flow does not buy new guesses', async () => {
    const email = 'guesser@mfa.example';
    const wrong = async (login: Awaited<ReturnType<typeof pastPassword>>) =>
      login.advance(login.oath, 'answer', '000000').catch((e: unknown) => e);
    const a = await pastPassword(email);
    for (let i = 0; i < 4; i++) expect(await wrong(a)).toMatchObject({ code: 'mfa_answer_invalid' });
    const b = await pastPassword(email);
    for (let i = 0; i < 4; i++) expect(await wrong(b)).toMatchObject({ code: 'mfa_answer_invalid' });
    const c = await pastPassword(email);
    expect(await wrong(c)).toMatchObject({ code: 'mfa_answer_invalid' });
    // The tenth wrong answer of this user ends the third flow after only two of its own.
    expect(await wrong(c)).toMatchObject({ kind: 'login_failure' });
    const d = await pastPassword(email);
    expect(await failure(d.advance(d.email_, 'start_oob'))).toBe('rate_limited');
  });
});

describe('TOTP', () => {
  it('accepts a code of the previous time step, not older, and each step once', async () => {
    const { core } = gatehouse;
    const email = 'totp@mfa.example';
    const user = await core.users.create(tenant.id, { email, password, emailVerified: true });
    const { secret } = await core.mfa.enrolment.beginTotp(tenant, user, { authTime: clock.now(), amr: ['pwd'] });
    const at = (offsetSteps: number) =>
      TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: clock.now().getTime() + offsetSteps * 30_000 });
    expect((await core.mfa.enrolment.confirmTotp(tenant.id, user.id, at(0))).recoveryCodes).toHaveLength(10);
    clock.advance(90_000);

    const stale = await pastPassword(email);
    expect(await failure(stale.advance(stale.oath, 'answer', at(-2)))).toBe('mfa_answer_invalid');
    expect((await stale.advance(stale.oath, 'answer', at(-1))).kind).toBe('complete');
    const replay = await pastPassword(email);
    expect(await failure(replay.advance(replay.oath, 'answer', at(-1)))).toBe('mfa_answer_invalid');
    expect((await replay.advance(replay.oath, 'answer', at(0))).kind).toBe('complete');
  });
});

describe('nothing that grants access exists before the last challenge', () => {
  it('issues no token after the password while a second factor is pending', async () => {
    await gatehouse.core.audit.flush();
    const issued = async () =>
      (await gatehouse.core.audit.list(tenant.id, 1000)).filter((e) => e.type === 'tokens.issued').length;
    const before = await issued();
    const login = await pastPassword();
    await gatehouse.core.audit.flush();
    expect(await issued()).toBe(before);
    const flow = await gatehouse.storage.db
      .selectFrom('login_flows')
      .select(['status', 'mfa_step', 'amr'])
      .where('username', '=', login.email)
      .executeTakeFirstOrThrow();
    expect(flow).toEqual({ status: 'mfa_pending', mfa_step: 1, amr: ['pwd'] });
  });
});
