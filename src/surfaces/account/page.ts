import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { constantTimeEqual } from '../../lib/crypto.js';
import { type Messages, messagesFor } from '../../lib/i18n.js';
import { clearCookie, sessionCookie } from '../shared/cookies.js';
import { sendErrorPage } from '../shared/error-page.js';
import { toGatehouseError } from '../shared/errors.js';
import { sendPage } from '../shared/html.js';
import { logError } from '../shared/log-error.js';
import { accountBody } from './page-view.js';
import { accountPageUrl, browserSession, type SignedInBrowser, sendToSignIn } from './sign-in.js';

type Form = Record<string, string | undefined>;
type Notice = { section: string; message: string; error: boolean };

const messagesOf = (request: FastifyRequest): Messages =>
  messagesFor({ acceptLanguage: request.headers['accept-language'] });

const tenantOf = (core: Core, request: FastifyRequest): Promise<Tenant> =>
  core.tenants.require((request.params as { tenant: string }).tenant);

/** Renders the account page of the signed-in browser, with what the last change did. */
const render = async (
  core: Core,
  request: FastifyRequest,
  reply: FastifyReply,
  who: SignedInBrowser,
  notice?: Notice,
  status = 200,
) => {
  const messages = messagesOf(request);
  const user = await core.users.require(who.tenant.id, who.session.userId);
  const [identities, factors, sessions, pendingEmail] = await Promise.all([
    core.users.identities(user.id),
    core.mfa.enrolment.summary(who.tenant.id, user.id),
    core.sessions.listOfUser(who.tenant.id, user.id),
    core.account.pendingEmailChange(user),
  ]);
  return sendPage(reply, {
    status,
    title: messages.t('account.title', { tenant: who.tenant.name }),
    lang: messages.locale,
    body: accountBody(
      {
        base: accountPageUrl(core, who.tenant),
        csrf: who.csrf,
        user,
        identities,
        factors,
        sessions,
        currentSid: who.session.sid,
        pendingEmail,
        ...(notice === undefined ? {} : { notice }),
      },
      messages,
    ),
  });
};

/** `GET /t/{tenant}/account` in a browser: the page, or the sign-in that leads to it; an error is a page. */
export const showAccountPage = async (core: Core, request: FastifyRequest, reply: FastifyReply) => {
  try {
    return await accountPageOrSignIn(core, request, reply);
  } catch (error) {
    const e = toGatehouseError(error);
    logError(request, e);
    return sendErrorPage(reply, e);
  }
};

const accountPageOrSignIn = async (core: Core, request: FastifyRequest, reply: FastifyReply) => {
  const tenant = await tenantOf(core, request);
  const who = await browserSession(core, tenant, request);
  if (who === undefined) return sendToSignIn(core, tenant, reply, false);
  const done = (request.query as { done?: unknown }).done;
  const notice =
    typeof done === 'string' && /^[a-z_]{1,30}$/.test(done)
      ? { section: done.split('_')[0] ?? '', message: messagesOf(request).t(`account.done.${done}`), error: false }
      : undefined;
  return render(core, request, reply, who, notice !== undefined && doneKeys.has(done as string) ? notice : undefined);
};

/** The `?done=` notices the page shows after a change (each a key `account.done.{name}`). */
const doneKeys = new Set([
  'profile_saved',
  'email_code_sent',
  'email_changed',
  'password_changed',
  'mfa_removed',
  'providers_unlinked',
  'sessions_ended',
]);

/** What each refusal of a change tells the person, by error code and `details.reason`. */
const refusalMessage = (error: GatehouseError, t: Messages['t']): string => {
  const reason = error.details?.reason;
  switch (error.code) {
    case 'step_up_required':
      return reason === 'current_password_wrong'
        ? t('account.error.current_password_wrong')
        : reason === 'code_needed'
          ? t('account.error.code_needed')
          : reason === 'code_wrong'
            ? t('account.error.code_wrong')
            : t('account.error.sign_in_again');
    case 'mfa_answer_invalid':
      return t('account.error.email_code_wrong');
    case 'email_taken':
      return t('account.error.email_taken');
    case 'last_login_method':
      return t('account.error.last_login_method');
    case 'rate_limited':
      return t('account.error.rate_limited');
    default:
      return t('account.error.invalid_input');
  }
};

/**
 * One change of the page: checks the session and the CSRF token, runs `change`, then sends the browser back to the
 * page with its notice (303), or shows the page again with what went wrong in the section (nothing changed).
 */
const change =
  (
    core: Core,
    section: string,
    run: (who: SignedInBrowser, form: Form, request: FastifyRequest) => Promise<string | undefined>,
  ) =>
  async (request: FastifyRequest, reply: FastifyReply) => {
    const tenant = await tenantOf(core, request);
    const who = await browserSession(core, tenant, request);
    if (who === undefined) return sendToSignIn(core, tenant, reply, false);
    const form = (request.body ?? {}) as Form;
    if (typeof form.csrf !== 'string' || !constantTimeEqual(form.csrf, who.csrf))
      throw new GatehouseError('forbidden', 'the form is stale; reload the page and try again');
    let done: string | undefined;
    try {
      done = await run(who, form, request);
    } catch (error) {
      if (!isGatehouseError(error) || error.status >= 500 || error.code === 'forbidden') throw error;
      const message = refusalMessage(error, messagesOf(request).t);
      return render(core, request, reply, who, { section, message, error: true }, error.status === 429 ? 429 : 400);
    }
    if (done === undefined) return reply;
    return reply.redirect(`${accountPageUrl(core, tenant)}?done=${done}`, 303);
  };

const text = (value: string | undefined): string => (typeof value === 'string' ? value : '');

/** The account page's routes, under `/t/{tenant}/account`, forms only; every error is a page. */
export const accountPage: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  app.setErrorHandler((error, request, reply) => {
    const e = toGatehouseError(error);
    logError(request, e);
    return sendErrorPage(reply, e);
  });
  const schema = { hide: true };
  const user = (who: SignedInBrowser) => core.users.require(who.tenant.id, who.session.userId);

  app.get('/signed-in', { schema }, async (request, reply) => {
    const tenant = await tenantOf(core, request);
    return reply.redirect(accountPageUrl(core, tenant), 303);
  });

  app.post('/forms/reauthenticate', { schema }, async (request, reply) => {
    const tenant = await tenantOf(core, request);
    const who = await browserSession(core, tenant, request);
    const form = (request.body ?? {}) as Form;
    if (who !== undefined && (typeof form.csrf !== 'string' || !constantTimeEqual(form.csrf, who.csrf)))
      throw new GatehouseError('forbidden', 'the form is stale; reload the page and try again');
    return sendToSignIn(core, tenant, reply, true);
  });

  app.post(
    '/forms/profile',
    { schema },
    change(core, 'profile', async (who, form, request) => {
      await core.account.updateProfile(
        await user(who),
        { firstName: text(form.first_name), lastName: text(form.last_name), displayName: text(form.display_name) },
        request.ip,
      );
      return 'profile_saved';
    }),
  );

  app.post(
    '/forms/email',
    { schema },
    change(core, 'email', async (who, form, request) => {
      const { t } = messagesOf(request);
      await core.account.beginEmailChange(await user(who), text(form.email), {
        subject: t('account.email.mail_subject', { tenant: who.tenant.name }),
        text: t('account.email.mail_text', { tenant: who.tenant.name }),
      });
      return 'email_code_sent';
    }),
  );

  app.post(
    '/forms/email/confirm',
    { schema },
    change(core, 'email', async (who, form, request) => {
      await core.account.confirmEmailChange(await user(who), text(form.code), request.ip);
      return 'email_changed';
    }),
  );

  app.post(
    '/forms/password',
    { schema },
    change(core, 'password', async (who, form, request) => {
      const current = text(form.current_password);
      await core.account.changePassword(
        await user(who),
        { newPassword: text(form.new_password), ...(current === '' ? {} : { currentPassword: current }) },
        { authTime: who.session.authTime },
        request.ip,
      );
      return 'password_changed';
    }),
  );

  app.post(
    '/forms/mfa/remove',
    { schema },
    change(core, 'mfa', async (who, form, request) => {
      const code = text(form.current_code);
      await core.account.removeSecondFactors(
        who.tenant,
        await user(who),
        { authTime: who.session.authTime, amr: who.session.amr, ...(code === '' ? {} : { currentCode: code }) },
        request.ip,
      );
      return 'mfa_removed';
    }),
  );

  app.post(
    '/forms/identities/:idp/unlink',
    { schema },
    change(core, 'providers', async (who, _form, request) => {
      const { idp } = request.params as { idp: string };
      await core.accounts.unlink(who.tenant.id, who.session.userId, idp, `user:${who.session.userId}`);
      return 'providers_unlinked';
    }),
  );

  app.post('/forms/sessions/:sid/end', { schema }, async (request, reply) => {
    const { sid } = request.params as { sid: string };
    return change(core, 'sessions', async (who) => {
      if (!(await core.sessions.revoke(who.tenant.id, who.session.userId, sid)))
        throw new GatehouseError('not_found', 'that session has already ended');
      if (sid !== who.session.sid) return 'sessions_ended';
      // This browser's own session: signed out, so back to the sign-in.
      clearCookie(reply, sessionCookie(core.settings.publicUrl, who.tenant.id));
      await sendToSignIn(core, who.tenant, reply, false);
      return undefined;
    })(request, reply);
  });
};
