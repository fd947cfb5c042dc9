import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SocialFixture, startSocialFixture } from '../harness/social.js';

let f: SocialFixture;

beforeAll(async () => {
  f = await startSocialFixture({ tenantId: 'audited' });
});
afterAll(async () => f?.close());

const eventsOf = async (type: string) => {
  await f.gh.core.audit.flush();
  return (await f.gh.core.audit.list(f.tenant.id)).filter((e) => e.type === type);
};

describe('the audit trail', () => {
  it('records a session ending, once, for a session that existed', async () => {
    const user = await f.gh.core.users.create(f.tenant.id, { email: 'audit@example.com', password: 'audit password' });
    const { cookie } = await f.gh.core.sessions.start({
      tenant: f.tenant,
      userId: user.id,
      amr: ['pwd'],
      authTime: new Date(),
    });
    expect(await f.gh.core.sessions.end(f.tenant.id, cookie)).toMatchObject({ userId: user.id });
    expect(await f.gh.core.sessions.end(f.tenant.id, cookie)).toBeUndefined();
    const ended = await eventsOf('session.ended');
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ outcome: 'success', user_id: user.id, actor: `user:${user.id}` });
  });

  it('records an upstream login starting, with its connection and client', async () => {
    const started = await f.gh.core.login.beginUpstreamLogin({
      tenant: f.tenant,
      connectionId: 'google',
      target: { kind: 'api', clientId: f.clientId, callbackUrl: 'http://127.0.0.1:9/done' },
      callbackUrl: `${f.gh.url}/SocialAuth/GoogleAuthCallback`,
      callbackName: 'Google',
      binding: 'app',
    });
    const events = await eventsOf('login.started');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'info', idp: 'google', client_id: f.clientId });
    expect(events[0]?.details).toEqual({ flow: started.flow.id, target: 'api' });
    // The state, verifier and nonce are never in the trail.
    expect(JSON.stringify(events)).not.toContain(started.state);
  });
});
