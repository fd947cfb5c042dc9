import type { FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { constantTimeEqual, sha256 } from '../../lib/crypto.js';
import { readCookie, sessionCookie } from '../shared/cookies.js';
import { html, sendPage } from '../shared/html.js';

/** Cookie of a Security API login (its value is the access token). */
const aspxAuthCookie = '.ASPXAUTH';

interface Signed {
  readonly tenant: Tenant;
  readonly userId: string;
  /** CSRF token of the forms: derived from the cookie that signed the user in. */
  readonly csrf: string;
  /** The sign-in behind the cookie, for the step-up a change of factors needs. */
  readonly authTime: Date | undefined;
  readonly amr: readonly string[];
  /** The hosted pages' session, which survives the change (the user's other sessions end). */
  readonly sid?: string;
}

/**
 * The signed-in user: a Security API login (`.ASPXAUTH`) or the hosted pages' session. Nobody else gets these
 * pages. @throws GatehouseError `unauthorized`
 */
const signedIn = async (core: Core, request: FastifyRequest): Promise<Signed> => {
  const { tenant: tenantId } = request.params as { tenant: string };
  const tenant = await core.tenants.require(tenantId);
  const token = request.cookies[aspxAuthCookie];
  if (token !== undefined) {
    const claims = await core.tokens.verifyAccessToken(tenant.id, token).catch(() => undefined);
    if (claims?.userId !== undefined)
      return {
        tenant,
        userId: claims.userId,
        csrf: sha256(`mfa-enrol:${token}`),
        authTime: claims.authTime,
        amr: claims.amr,
      };
  }
  const session = readCookie(request, sessionCookie(core.settings.publicUrl, tenant.id));
  const found = session === undefined ? undefined : await core.sessions.find(tenant, session);
  if (found !== undefined && session !== undefined)
    return {
      tenant,
      userId: found.userId,
      csrf: sha256(`mfa-enrol:${session}`),
      authTime: found.authTime,
      amr: found.amr,
      sid: found.sid,
    };
  throw new GatehouseError('unauthorized', 'sign in first to manage your second factors');
};

const checkCsrf = (request: FastifyRequest, who: Signed) => {
  const csrf = (request.body as { csrf?: unknown } | undefined)?.csrf;
  if (typeof csrf !== 'string' || !constantTimeEqual(csrf, who.csrf))
    throw new GatehouseError('forbidden', 'the form is stale; reload the page and try again');
};

const base = (core: Core, tenant: Tenant) => `${core.settings.publicUrl}/t/${tenant.id}/mfa`;

const overview = async (
  core: Core,
  reply: FastifyReply,
  who: Signed,
  notice: { status: number; error?: string } = { status: 200 },
) => {
  const summary = await core.mfa.enrolment.summary(who.tenant.id, who.userId);
  // A user with a second factor proves it to change it: at the sign-in behind the cookie, or with a code now.
  const askCode = (summary.totp || summary.recoveryCodesLeft > 0) && !who.amr.includes('mfa');
  return sendPage(reply, {
    status: notice.status,
    title: `Two-step verification – ${who.tenant.name}`,
    body: html`<h1>Two-step verification</h1>
      ${notice.error === undefined ? '' : html`<p class="error" role="alert" id="change-error">${notice.error}</p>`}
      <p>Authenticator app: <strong>${summary.totp ? 'set up' : 'not set up'}</strong></p>
      <p>Recovery codes left: <strong>${summary.recoveryCodesLeft}</strong></p>
      <p class="muted">Changing these needs a sign-in from the last five minutes.</p>
      <form method="post" action="${`${base(core, who.tenant)}/totp`}">
        <input type="hidden" name="csrf" value="${who.csrf}">
        ${
          askCode
            ? html`<label for="current-code">A code from your current authenticator app, or a recovery code</label>
        <input id="current-code" name="current_code" autocomplete="one-time-code" required${
          notice.error === undefined ? '' : html` aria-invalid="true" aria-describedby="change-error"`
        }>`
            : ''
        }
        <button type="submit">${summary.totp ? 'Replace the authenticator app' : 'Set up an authenticator app'}</button>
      </form>`,
  });
};

/** `GET /t/{tenant}/mfa`: what the signed-in user has set up, and the buttons to change it. */
export const showFactors = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) =>
  overview(core, reply, await signedIn(core, request));

/**
 * `POST /t/{tenant}/mfa/totp`: after a step-up (a sign-in from the last five minutes and, when the user has a second
 * factor, that factor at the sign-in or a code of it in `current_code`), a new seed, shown once as a QR code and as
 * text, with the form to confirm it.
 */
export const beginTotp = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const who = await signedIn(core, request);
  checkCsrf(request, who);
  const user = await core.users.require(who.tenant.id, who.userId);
  const currentCode = (request.body as { current_code?: unknown }).current_code;
  let enrolment: Awaited<ReturnType<Core['mfa']['enrolment']['beginTotp']>>;
  try {
    enrolment = await core.mfa.enrolment.beginTotp(who.tenant, user, {
      authTime: who.authTime,
      amr: who.amr,
      ...(typeof currentCode === 'string' ? { currentCode } : {}),
    });
  } catch (error) {
    if (isGatehouseError(error) && (error.code === 'step_up_required' || error.code === 'rate_limited'))
      return overview(core, reply, who, {
        status: error.code === 'rate_limited' ? 429 : 403,
        error:
          error.code === 'rate_limited'
            ? 'Too many attempts. Wait a few minutes, then try again.'
            : stepUpAdvice(error.details?.reason),
      });
    throw error;
  }
  return confirmPage(core, reply, who, enrolment, { status: 200 });
};

/** What a person is told when the step-up is missing (`details.reason` of `step_up_required`). */
const stepUpAdvice = (reason: unknown): string => {
  switch (reason) {
    case 'sign_in_again':
      return 'Sign in again to change your second factors: your last sign-in was more than five minutes ago.';
    case 'code_needed':
      return 'Enter a code from your current authenticator app, or a recovery code.';
    default:
      return 'That code is wrong or was already used.';
  }
};

const confirmPage = async (
  core: Core,
  reply: FastifyReply,
  who: Signed,
  enrolment: { secret: string; uri: string } | undefined,
  notice: { status: number; error?: string },
) => {
  const qr = enrolment === undefined ? undefined : await QRCode.toDataURL(enrolment.uri, { margin: 1, width: 240 });
  return sendPage(reply, {
    status: notice.status,
    title: `Set up an authenticator app – ${who.tenant.name}`,
    body: html`<h1>Set up an authenticator app</h1>
      ${notice.error === undefined ? '' : html`<p class="error" role="alert">${notice.error}</p>`}
      ${
        enrolment === undefined || qr === undefined
          ? ''
          : html`<p>Scan this code with your authenticator app, or enter the key by hand.</p>
      <img src="${qr}" alt="QR code of the authenticator key" width="240" height="240">
      <p>Key: <code>${enrolment.secret}</code></p>`
      }
      <form method="post" action="${`${base(core, who.tenant)}/totp/confirm`}">
        <input type="hidden" name="csrf" value="${who.csrf}">
        <label for="code">The six-digit code the app shows</label>
        <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus>
        <button type="submit">Confirm</button>
      </form>`,
  });
};

/** `POST /t/{tenant}/mfa/totp/confirm`: the first code proves the app; recovery codes are shown, once. */
export const confirmTotp = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const who = await signedIn(core, request);
  checkCsrf(request, who);
  const code = (request.body as { code?: unknown }).code;
  let recoveryCodes: string[];
  try {
    ({ recoveryCodes } = await core.mfa.enrolment.confirmTotp(who.tenant.id, who.userId, String(code ?? ''), {
      ...(who.sid === undefined ? {} : { keepSid: who.sid }),
      ip: request.ip,
    }));
  } catch (error) {
    if (isGatehouseError(error) && error.code === 'mfa_answer_invalid')
      return confirmPage(core, reply, who, undefined, { status: 400, error: 'That code is wrong. Try the next one.' });
    throw error;
  }
  return sendPage(reply, {
    status: 200,
    title: `Authenticator app set up – ${who.tenant.name}`,
    body: html`<h1>Authenticator app set up</h1>
      <p>Keep these recovery codes somewhere safe. Each works once, if you lose the app. They are not shown again.</p>
      <p>Your other sign-ins have ended: sign in again on your other devices.</p>
      <ul>${recoveryCodes.map((c) => html`<li><code>${c}</code></li>`)}</ul>`,
  });
};
