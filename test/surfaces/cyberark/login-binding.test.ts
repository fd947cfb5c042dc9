/**
 * Login CSRF: someone starts a Security API social login, signs in at the IdP as themselves and hands the callback
 * URL to a victim. Opened in the victim's browser it returns to the app, but only the starter can resume the flow:
 * the app by the `ExtIdpAuthResumeSecret` its start returned, a same-origin page by its cookie.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHarness, startEmulator } from '../../harness/emulator.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites, storageKinds } from '../../harness/storage.js';
import {
  appCallback,
  aSocialTenant,
  CookieJar,
  callbackParams,
  deliverCallback,
  resume,
  resumeSecretOf,
  security,
} from './support.js';

describe.each(storageKinds)('a Security API login is bound to its starter, on %s', (storage) => {
  let idp: EmulatorHarness;
  let gatehouse: RunningGatehouse;
  let base: string;
  beforeAll(async () => {
    idp = await startEmulator();
    gatehouse = await startGatehouse({ storage });
    await aSocialTenant(gatehouse.core, idp, 'bound');
    base = `${gatehouse.url}/t/bound`;
  });
  afterAll(async () => {
    await gatehouse?.close();
    await idp?.close();
  });

  const start = (headers: Record<string, string> = {}, jar?: CookieJar) =>
    security(
      base,
      'StartSocialAuthentication',
      { IdpName: 'GitHub', PostExtIdpAuthCallbackUrl: appCallback },
      { headers, ...(jar === undefined ? {} : { jar }) },
    );
  const idpRedirectUrlOf = (started: Awaited<ReturnType<typeof start>>) =>
    (started.body.Result as { IdpRedirectUrl: string }).IdpRedirectUrl;

  it('refuses to resume a native flow whose callback another browser completed, without the starter’s secret', async () => {
    const attacker = await start();
    const attackerSecret = resumeSecretOf(attacker);
    const callback = await idp.signIn(idpRedirectUrlOf(attacker), 'bob');
    // The victim's browser, with no cookie of Gatehouse, follows the link: it is sent on to the app.
    const params = callbackParams(await deliverCallback(callback, new CookieJar()));
    expect(params.get('username')).toBe('bob@example.com');

    const victimsOwn = resumeSecretOf(await start());
    await gatehouse.core.audit.flush();
    for (const secret of [undefined, victimsOwn, `${attackerSecret.slice(0, -1)}A`]) {
      const refused = await expectNoWrites(gatehouse.storage.db, () => resume(base, params, secret));
      expect(refused.body).toMatchObject({ success: false, Result: null, ErrorCode: 'SessionInvalid' });
      expect(refused.response.headers.getSetCookie()).toEqual([]);
    }
    // Only the secret in the query, where it could leak into logs, does not count either.
    const inQuery = await resume(base, { ...Object.fromEntries(params), ExtIdpAuthResumeSecret: attackerSecret }, '');
    expect(inQuery.body).toMatchObject({ success: false, ErrorCode: 'SessionInvalid' });

    const starter = await resume(base, params, attackerSecret);
    expect(starter.body).toMatchObject({ success: true, Result: { Summary: 'LoginSuccess', User: 'bob@example.com' } });
  });

  it('does not hand a same-origin start a resume secret, and its callback needs the browser’s cookie', async () => {
    const browser = new CookieJar();
    const started = await start({ 'sec-fetch-site': 'same-origin' }, browser);
    expect(started.body.Result).toEqual({ IdpRedirectUrl: expect.any(String), Status: 'RedirectToIdp' });
    const callback = await idp.signIn(idpRedirectUrlOf(started), 'alice');
    const elsewhere = await deliverCallback(callback, new CookieJar());
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers.get('location')).toBeNull();
    const params = callbackParams(await deliverCallback(callback, browser));
    expect((await resume(base, params, undefined, { jar: browser })).body).toMatchObject({
      success: true,
      Result: { Summary: 'LoginSuccess' },
    });
  });
});
