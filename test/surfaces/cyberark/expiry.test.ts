/** Login flows expire: an IdP that answers too late, or a resume that comes too late, finds nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../../../src/lib/clock.js';
import { type EmulatorHarness, startEmulator } from '../../harness/emulator.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import {
  appCallback,
  aSocialTenant,
  callbackParams,
  deliverCallback,
  resume,
  resumeSecretOf,
  security,
} from './support.js';

let idp: EmulatorHarness;
let gatehouse: RunningGatehouse;
let base: string;
const clock = createTestClock();

beforeAll(async () => {
  idp = await startEmulator();
  gatehouse = await startGatehouse({ clock });
  await aSocialTenant(gatehouse.core, idp, 'late');
  base = `${gatehouse.url}/t/late`;
});
afterAll(async () => {
  await gatehouse?.close();
  await idp?.close();
});

const start = async (user: string) => {
  const started = await security(base, 'StartSocialAuthentication', {
    IdpName: 'GitHub',
    PostExtIdpAuthCallbackUrl: appCallback,
  });
  const callback = await idp.signIn((started.body.Result as { IdpRedirectUrl: string }).IdpRedirectUrl, user);
  return Object.assign(callback, { secret: resumeSecretOf(started) });
};

describe('login flow expiry', () => {
  it('refuses the IdP callback more than ten minutes after the redirect', async () => {
    const callback = await start('alice');
    clock.advance(10 * 60 * 1000 + 1);
    const late = await deliverCallback(callback);
    expect(late.status).toBe(400);
    expect(late.headers.get('location')).toBeNull();
    expect(await gatehouse.core.users.findByEmail('late', 'alice@example.com')).toBeUndefined();
  });

  it('refuses to resume more than five minutes after the callback', async () => {
    const started = await start('bob');
    const params = callbackParams(await deliverCallback(started));
    clock.advance(5 * 60 * 1000 + 1);
    const resumed = await resume(base, params, started.secret);
    expect(resumed.body).toMatchObject({ success: false, Result: null, ErrorCode: 'SessionInvalid' });
  });
});
