/**
 * `id_token_hint` at the authorization endpoint (OIDC Core §3.1.2.1): a session of another user than the hint names is
 * never used silently. With `prompt=none` the client hears `login_required` (with `state` and `iss`); without it the
 * browser is asked to sign in. A hint this issuer did not sign goes back as `invalid_request`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserFetch, CookieJar } from '../../harness/clients.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites } from '../../harness/storage.js';
import { authorizeUrl, password, pkce, redirectUri, setUpTenant, type TestTenant, webTokens } from './fixture.js';

let gatehouse: RunningGatehouse;
let tenant: TestTenant;
const jar = new CookieJar();
let ownIdToken: string;
let otherIdToken: string;

beforeAll(async () => {
  gatehouse = await startGatehouse();
  tenant = await setUpTenant(gatehouse, 'hint');
  ownIdToken = (await webTokens(tenant, jar)).tokens.id_token;
  const other = await gatehouse.core.users.create(tenant.id, {
    email: 'other@example.com',
    password,
    emailVerified: true,
  });
  otherIdToken = (await webTokens({ ...tenant, user: { ...tenant.user, id: other.id, email: 'other@example.com' } }))
    .tokens.id_token;
});
afterAll(async () => {
  await gatehouse?.close();
});

const silent = (hint: string, extra: Record<string, string> = {}) => {
  const { challenge } = pkce();
  return authorizeUrl(tenant.issuer, {
    client_id: tenant.web.clientId,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    id_token_hint: hint,
    state: 'hinted',
    ...extra,
  });
};

const answerOf = (response: Response) => {
  const location = response.headers.get('location') ?? '';
  return new URL(location, tenant.issuer);
};

describe('id_token_hint at /authorize', () => {
  it('answers from the session when the hint names its user', async () => {
    const response = await browserFetch(jar, silent(ownIdToken, { prompt: 'none' }));
    expect(response.status).toBe(303);
    const answer = answerOf(response);
    expect(answer.href.startsWith(redirectUri)).toBe(true);
    expect([...answer.searchParams.keys()].sort()).toEqual(['code', 'iss', 'state']);
  });

  it('says login_required with prompt=none when the session is another user’s', async () => {
    const response = await expectNoWrites(gatehouse.storage.db, () =>
      browserFetch(jar, silent(otherIdToken, { prompt: 'none' })),
    );
    expect(response.status).toBe(303);
    const answer = answerOf(response);
    expect(answer.href.startsWith(redirectUri)).toBe(true);
    expect(Object.fromEntries(answer.searchParams)).toEqual({
      error: 'login_required',
      error_description: 'the signed-in user is not the one id_token_hint names',
      state: 'hinted',
      iss: tenant.issuer,
    });
  });

  it('shows the sign-in page, not a code, without prompt=none when the session is another user’s', async () => {
    const response = await browserFetch(jar, silent(otherIdToken));
    expect(response.status).toBe(303);
    expect(answerOf(response).pathname).toMatch(new RegExp(`^/t/${tenant.id}/sign-in/[^/]+$`));
  });

  it('returns invalid_request for a hint this issuer did not sign', async () => {
    const response = await browserFetch(jar, silent('eyJhbGciOiJub25lIn0.e30.', { prompt: 'none' }));
    const answer = answerOf(response);
    expect(answer.href.startsWith(redirectUri)).toBe(true);
    expect(answer.searchParams.get('error')).toBe('invalid_request');
    expect(answer.searchParams.get('state')).toBe('hinted');
    expect(answer.searchParams.get('iss')).toBe(tenant.issuer);
  });

  it('still answers the hinted session after the refusals (they changed nothing)', async () => {
    const again = await browserFetch(jar, silent(ownIdToken, { prompt: 'none' }));
    expect(answerOf(again).searchParams.has('code')).toBe(true);
  });
});
