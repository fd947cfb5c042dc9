import type { FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { constantTimeEqual, sha256 } from '../../lib/crypto.js';
import { sessionCookie } from '../oauth/cookies.js';
import { html, sendPage } from '../pages/html.js';

/** Cookie of a Security API login (its value is the access token). */
const aspxAuthCookie = '.ASPXAUTH';

interface Signed {
  readonly tenant: Tenant;
  readonly userId: string;
  /** CSRF token of the forms: derived from the cookie that signed the user in. */
  readonly csrf: string;
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
    if (claims?.userId !== undefined) return { tenant, userId: claims.userId, csrf: sha256(`mfa-enrol:${token}`) };
  }
  const session = request.cookies[sessionCookie];
  const found = session === undefined ? undefined : await core.sessions.find(tenant, session);
  if (found !== undefined && session !== undefined)
    return { tenant, userId: found.userId, csrf: sha256(`mfa-enrol:${session}`) };
  throw new GatehouseError('unauthorized', 'sign in first to manage your second factors');
};

const checkCsrf = (request: FastifyRequest, who: Signed) => {
  const csrf = (request.body as { csrf?: unknown } | undefined)?.csrf;
  if (typeof csrf !== 'string' || !constantTimeEqual(csrf, who.csrf))
    throw new GatehouseError('forbidden', 'the form is stale; reload the page and try again');
};

const base = (core: Core, tenant: Tenant) => `${core.deps.settings.publicUrl}/t/${tenant.id}/mfa`;

/** `GET /t/{tenant}/mfa`: what the signed-in user has set up, and the buttons to change it. */
export const showFactors = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const who = await signedIn(core, request);
  const summary = await core.mfa.enrolment.summary(who.tenant.id, who.userId);
  return sendPage(reply, {
    status: 200,
    title: `Two-step verification – ${who.tenant.name}`,
    body: html`<h1>Two-step verification</h1>
      <p>Authenticator app: <strong>${summary.totp ? 'set up' : 'not set up'}</strong></p>
      <p>Recovery codes left: <strong>${summary.recoveryCodesLeft}</strong></p>
      <form method="post" action="${`${base(core, who.tenant)}/totp`}">
        <input type="hidden" name="csrf" value="${who.csrf}">
        <button type="submit">${summary.totp ? 'Replace the authenticator app' : 'Set up an authenticator app'}</button>
      </form>`,
  });
};

/** `POST /t/{tenant}/mfa/totp`: a new seed, shown once as a QR code and as text, with the form to confirm it. */
export const beginTotp = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const who = await signedIn(core, request);
  checkCsrf(request, who);
  const user = await core.users.require(who.tenant.id, who.userId);
  const enrolment = await core.mfa.enrolment.beginTotp(who.tenant, user);
  return confirmPage(core, reply, who, enrolment, { status: 200 });
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
    ({ recoveryCodes } = await core.mfa.enrolment.confirmTotp(who.tenant.id, who.userId, String(code ?? '')));
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
      <ul>${recoveryCodes.map((c) => html`<li><code>${c}</code></li>`)}</ul>`,
  });
};
