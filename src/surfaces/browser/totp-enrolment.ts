import type { FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { constantTimeEqual, sha256 } from '../../lib/crypto.js';
import { readCookie, sessionCookie } from '../shared/cookies.js';
import { html, sendPage } from '../shared/html.js';
import { pageContext, pageIn } from './page-context.js';

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
  request: FastifyRequest,
  reply: FastifyReply,
  who: Signed,
  notice: { status: number; error?: string } = { status: 200 },
) => {
  const context = pageContext(request, who.tenant);
  const { t } = context.messages;
  const summary = await core.mfa.enrolment.summary(who.tenant.id, who.userId);
  // A user with a second factor proves it to change it: at the sign-in behind the cookie, or with a code now.
  const askCode = (summary.totp || summary.recoveryCodesLeft > 0) && !who.amr.includes('mfa');
  return sendPage(
    reply,
    pageIn(context, {
      status: notice.status,
      title: t('mfa.factors.title'),
      body: html`<h1>${t('mfa.factors.title')}</h1>
      ${notice.error === undefined ? '' : html`<p class="error" role="alert" id="change-error">${notice.error}</p>`}
      <p>${t('mfa.factors.totp')}: <strong>${t(summary.totp ? 'mfa.factors.set_up' : 'mfa.factors.not_set_up')}</strong></p>
      <p>${t('mfa.factors.recovery_left')}: <strong>${summary.recoveryCodesLeft}</strong></p>
      <p class="muted">${t('mfa.factors.step_up_note')}</p>
      <form method="post" action="${`${base(core, who.tenant)}/totp`}">
        <input type="hidden" name="csrf" value="${who.csrf}">
        ${
          askCode
            ? html`<label for="current-code">${t('mfa.factors.current_code')}</label>
        <input id="current-code" name="current_code" autocomplete="one-time-code" required${
          notice.error === undefined ? '' : html` aria-invalid="true" aria-describedby="change-error"`
        }>`
            : ''
        }
        <button type="submit">${t(summary.totp ? 'mfa.factors.replace' : 'mfa.factors.set_up_button')}</button>
      </form>`,
    }),
  );
};

/** `GET /t/{tenant}/mfa`: what the signed-in user has set up, and the buttons to change it. */
export const showFactors = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) =>
  overview(core, request, reply, await signedIn(core, request));

/**
 * `POST /t/{tenant}/mfa/totp`: after a step-up (a sign-in from the last five minutes and, when the user has a second
 * factor, that factor at the sign-in or a code of it in `current_code`), a new seed, shown as a QR code and as text,
 * with the form to confirm it.
 */
export const beginTotp = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const who = await signedIn(core, request);
  checkCsrf(request, who);
  const { t } = pageContext(request, who.tenant).messages;
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
      return overview(core, request, reply, who, {
        status: error.code === 'rate_limited' ? 429 : 403,
        error: t(error.code === 'rate_limited' ? 'page.error.rate_limited' : stepUpAdvice(error.details?.reason)),
      });
    throw error;
  }
  return confirmPage(core, request, reply, who, enrolment, { status: 200 });
};

/** What a person is told when the step-up is missing (`details.reason` of `step_up_required`): a message key. */
const stepUpAdvice = (reason: unknown): string => {
  switch (reason) {
    case 'sign_in_again':
      return 'mfa.factors.sign_in_again';
    case 'code_needed':
      return 'mfa.factors.code_needed';
    default:
      return 'mfa.factors.code_wrong';
  }
};

const confirmPage = async (
  core: Core,
  request: FastifyRequest,
  reply: FastifyReply,
  who: Signed,
  enrolment: { secret: string; uri: string } | undefined,
  notice: { status: number; error?: string },
) => {
  const context = pageContext(request, who.tenant);
  const { t } = context.messages;
  const qr = enrolment === undefined ? undefined : await QRCode.toDataURL(enrolment.uri, { margin: 1, width: 220 });
  return sendPage(
    reply,
    pageIn(context, {
      status: notice.status,
      title: t('mfa.totp_setup.title'),
      body: html`<h1>${t('mfa.totp_setup.title')}</h1>
      ${notice.error === undefined ? '' : html`<p class="error" role="alert" id="confirm-error">${notice.error}</p>`}
      ${
        enrolment === undefined || qr === undefined
          ? ''
          : html`<p>${t('mfa.totp_setup.scan')}</p>
      <img src="${qr}" alt="${t('mfa.totp_setup.qr_alt')}" class="qr" width="220" height="220">
      <p class="key">${t('mfa.totp_setup.key')}: <code>${enrolment.secret}</code></p>`
      }
      <form method="post" action="${`${base(core, who.tenant)}/totp/confirm`}">
        <input type="hidden" name="csrf" value="${who.csrf}">
        <label for="code">${t('mfa.totp_setup.code_label')}</label>
        <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus${
          notice.error === undefined ? '' : html` aria-invalid="true" aria-describedby="confirm-error"`
        }>
        <button type="submit">${t('mfa.totp_setup.confirm')}</button>
      </form>`,
    }),
  );
};

/** The copy button of the recovery codes: hidden without JavaScript (the download link works without). */
const copyScript = `(()=>{const b=document.getElementById('copy-codes');const c=document.getElementById('codes');
if(!b||!c||!navigator.clipboard)return;b.hidden=false;b.addEventListener('click',()=>{
navigator.clipboard.writeText(c.dataset.codes).then(()=>{b.textContent=b.dataset.done;});});})();`;

/** `POST /t/{tenant}/mfa/totp/confirm`: the first code proves the app; recovery codes are shown, once. */
export const confirmTotp = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const who = await signedIn(core, request);
  checkCsrf(request, who);
  const context = pageContext(request, who.tenant);
  const { t } = context.messages;
  const code = (request.body as { code?: unknown }).code;
  let recoveryCodes: string[];
  try {
    ({ recoveryCodes } = await core.mfa.enrolment.confirmTotp(who.tenant.id, who.userId, String(code ?? ''), {
      ...(who.sid === undefined ? {} : { keepSid: who.sid }),
      ip: request.ip,
    }));
  } catch (error) {
    if (isGatehouseError(error) && error.code === 'mfa_answer_invalid') {
      // The seed is still waiting: show its QR code again with the refusal, so the person can retry without a rescan.
      const user = await core.users.require(who.tenant.id, who.userId);
      const pending = await core.mfa.enrolment.pendingTotp(who.tenant, user);
      return confirmPage(core, request, reply, who, pending, { status: 400, error: t('mfa.totp_setup.wrong_code') });
    }
    throw error;
  }
  const text = `${t('mfa.recovery_codes.file_heading', { name: context.brand.name })}\n\n${recoveryCodes.join('\n')}\n`;
  return sendPage(
    reply,
    pageIn(context, {
      status: 200,
      title: t('mfa.recovery_codes.title'),
      script: copyScript,
      body: html`<h1>${t('mfa.recovery_codes.title')}</h1>
      <p>${t('mfa.recovery_codes.keep_safe')}</p>
      <ul class="codes" id="codes" data-codes="${recoveryCodes.join('\n')}">${recoveryCodes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
      <a class="button" download="recovery-codes.txt" href="${`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`}">${t(
        'mfa.recovery_codes.download',
      )}</a>
      <button type="button" class="secondary" id="copy-codes" hidden data-done="${t('mfa.recovery_codes.copied')}">${t(
        'mfa.recovery_codes.copy',
      )}</button>
      <p class="muted">${t('mfa.recovery_codes.other_sessions')}</p>`,
    }),
  );
};
