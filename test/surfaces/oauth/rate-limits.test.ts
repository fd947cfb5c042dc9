import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../../src/kv/kv.js';
import { createRedisKv } from '../../../src/kv/redis.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { type SmtpHarness, startSmtp } from '../../harness/smtp.js';
import type { StorageKind } from '../../harness/storage.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const password = 'correct horse battery staple';
const exchangeGrant = 'urn:ietf:params:oauth:grant-type:token-exchange';

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: unknown;
}

// The limits live in the key-value store: in-process without Redis, shared by the fleet with it.
describe.each([
  ['in-process limits', 'pglite', false],
  ['Redis limits', 'postgres', true],
] as [string, StorageKind, boolean][])('rate limits of the token endpoint (%s)', (_name, storage, withRedis) => {
  let gh: RunningGatehouse;
  let smtp: SmtpHarness;
  let kv: KeyValueStore | undefined;
  const tenantId = `rl-${randomBytes(4).toString('hex')}`;
  const clientId = `app-${tenantId}`;
  let secret: string;
  // Each test speaks from its own addresses (the server trusts X-Forwarded-For, as behind a load balancer).
  let nextAddress = 1;
  const address = () => `198.51.100.${nextAddress++}`;

  const token = async (ip: string, params: Record<string, string>): Promise<Answer> => {
    const response = await fetch(`${gh.issuer(tenantId)}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'x-forwarded-for': ip,
      },
      body: new URLSearchParams(params).toString(),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
  };
  const signIn = (ip: string, username: string, pass: string) =>
    token(ip, { grant_type: 'password', username, password: pass, scope: 'openid' });
  const newUser = async () => {
    const email = `u-${randomBytes(4).toString('hex')}@example.com`;
    await gh.core.users.create(tenantId, { email, password });
    return email;
  };
  const expectLimited = (answer: Answer) => {
    expect(answer.status).toBe(429);
    expect(answer.body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
  };
  const auditOf = async (type: string) => {
    await gh.core.audit.flush();
    return (await gh.core.audit.list(tenantId, 1000)).filter((e) => e.type === type);
  };

  beforeAll(async () => {
    smtp = await startSmtp();
    kv = withRedis ? createRedisKv(redisUrl, { prefix: `gatehouse-test:${tenantId}:` }) : undefined;
    gh = await startGatehouse({
      storage,
      config: { smtpUrl: smtp.url, trustProxy: true, ...(withRedis ? { redisUrl } : {}) },
      ...(kv === undefined ? {} : { kv }),
    });
    expect(gh.core.rateLimit.store).toBe(withRedis ? 'redis' : 'memory');
    await gh.core.tenants.create({ id: tenantId });
    const created = await gh.core.clients.create(tenantId, {
      clientId,
      grantTypes: ['password', exchangeGrant],
      settings: { scopes: ['openid', 'email'] },
    });
    secret = String(created.clientSecret);
  });
  afterAll(async () => {
    await gh?.close();
    await smtp?.close();
  });

  it('locks the guessing address after 10 wrong passwords while the owner signs in from another address', async () => {
    const email = await newUser();
    const attacker = address();
    for (let i = 0; i < 10; i++) expect((await signIn(attacker, email, 'wrong password')).status).toBe(400);
    expectLimited(await signIn(attacker, email, password));
    expect((await signIn(address(), email, password)).status).toBe(200);
  });

  it('evaluates at most 10 of 40 parallel wrong passwords, the rest refused before argon2', async () => {
    const email = await newUser();
    const attacker = address();
    const answers = await Promise.all(Array.from({ length: 40 }, () => signIn(attacker, email, 'wrong password')));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 400)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
    // Each evaluated password is one `login.failed` with `invalid_grant` in the audit trail.
    const evaluated = (await auditOf('login.failed')).filter(
      (e) => e.ip === attacker && (e.details as { code?: string }).code === 'invalid_grant',
    );
    expect(evaluated).toHaveLength(10);
    const refused = (await auditOf('rate_limit.refused')).filter((e) => e.ip === attacker);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]).toMatchObject({ client_id: clientId, outcome: 'failure' });
    expect(JSON.stringify(refused)).not.toContain(email);
  });

  it('mails the owner of a known account at a burst of failures, and nobody for an unknown one, with identical answers', async () => {
    const known = await newUser();
    const unknown = `nobody-${randomBytes(4).toString('hex')}@example.com`;
    const burst = async (email: string) => {
      const answers: Answer[] = [];
      // Ten failures from two addresses: the account sees the burst, neither address is locked.
      for (let i = 0; i < 10; i++) answers.push(await signIn(i < 5 ? `203.0.113.1` : '203.0.113.2', email, 'nope'));
      return answers.map((a) => ({ status: a.status, body: a.body }));
    };
    const unknownAnswers = await burst(unknown);
    const knownAnswers = await burst(known);
    expect(knownAnswers).toEqual(unknownAnswers);
    expect(new Set(knownAnswers.map((a) => a.status))).toEqual(new Set([400]));
    const mail = await smtp.next(known);
    expect(mail.subject).toBe('Failed sign-in attempts on your account');
    expect(mail.text).toContain('10 times');
    expect(mail.text).not.toContain('nope');
    // Notices go out in order: the unknown account's burst came first, and left nothing.
    expect(smtp.received.filter((m) => m.to.includes(unknown))).toEqual([]);
    const owner = await gh.core.users.findByEmail(tenantId, known);
    // The notice is audited once the SMTP server has accepted it: wait for it, bounded.
    const noticesOf = async () => (await auditOf('account.failures_notified')).filter((e) => e.user_id === owner?.id);
    await expect.poll(async () => (await noticesOf()).length, { timeout: 5000 }).toBe(1);
    const notices = await noticesOf();
    expect(notices[0]).toMatchObject({ outcome: 'info', ip: '203.0.113.2' });
  });

  it('limits refused token exchanges per client and address, in RFC 6749 JSON with Retry-After', async () => {
    const caller = address();
    const exchange = () =>
      token(caller, {
        grant_type: exchangeGrant,
        subject_token: 'not-a-token',
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        subject_issuer: 'no-such-idp',
      });
    for (let i = 0; i < 30; i++) expect((await exchange()).status).toBe(400);
    expectLimited(await exchange());
    // Another address is not limited by this one's failures.
    const other = await token(address(), {
      grant_type: exchangeGrant,
      subject_token: 'not-a-token',
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      subject_issuer: 'no-such-idp',
    });
    expect(other.status).toBe(400);
  });
});
