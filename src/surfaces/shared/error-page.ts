import type { FastifyReply } from 'fastify';
import type { GatehouseError } from '../../core/errors.js';
import { type Messages, messagesFor } from '../../lib/i18n.js';
import { html, sendPage } from './html.js';
import { oauthErrors } from './oauth-errors.js';

/** What a person can do about each kind of failure, in plain words (the catalogue's `error.advice.*`). */
const adviceKey = (error: GatehouseError): string => {
  switch (error.code) {
    case 'flow_invalid':
      return 'error.advice.flow_invalid';
    case 'invalid_client':
    case 'invalid_request':
    case 'unsupported_media_type':
    case 'payload_too_large':
      return 'error.advice.invalid_request';
    case 'not_found':
      return 'error.advice.not_found';
    case 'forbidden':
      return 'error.advice.forbidden';
    case 'user_disabled':
      return 'error.advice.user_disabled';
    case 'access_denied':
      return 'error.advice.access_denied';
    case 'rate_limited':
      return 'error.advice.rate_limited';
    case 'idp_unavailable':
    case 'storage_unavailable':
      return 'error.advice.unavailable';
    default:
      return error.expose ? 'error.advice.cannot_complete' : 'error.advice.server_error';
  }
};

export interface ErrorPageOptions {
  /** What the person was doing: the page's title says it (`sign_in` unless told). */
  readonly context?: 'sign_in' | 'sign_out';
  /**
   * The application the person came from, when one is known: a "Back to {app}" button (a GET form to `action` with its
   * `fields`), which answers the app.
   */
  readonly app?: {
    readonly name: string;
    readonly action: string;
    readonly fields: Readonly<Record<string, string>>;
    /** Where that answer redirects: the page's CSP `form-action` must allow it. */
    readonly redirectSource: string;
  };
  /** The messages to write with; chosen from the request's `Accept-Language` when not given. */
  readonly messages?: Messages;
}

/**
 * An error shown to the person in the browser (when it must not, or cannot, go back to the client): a title saying
 * what they were doing, what happened in plain words, and what they can do; the error's own description follows only
 * when it is meant to be shown (never a code name). 401 becomes 400: a page has no `WWW-Authenticate` challenge to
 * offer.
 */
export const sendErrorPage = (reply: FastifyReply, error: GatehouseError, options: ErrorPageOptions = {}) => {
  const [, status] = oauthErrors[error.code];
  const messages = options.messages ?? messagesFor({ acceptLanguage: reply.request.headers['accept-language'] });
  const { t } = messages;
  // RP-Initiated Logout's page errors (its parameters' validation included) are a sign-out's, not a sign-in's.
  const context = options.context ?? (/\/logout(?:\?|$)/.test(reply.request.url) ? 'sign_out' : 'sign_in');
  const title = t(context === 'sign_out' ? 'error.title.sign_out' : 'error.title.sign_in');
  const advice = t(adviceKey(error));
  const { app } = options;
  return sendPage(reply, {
    status: status === 401 ? 400 : status,
    title,
    lang: messages.locale,
    ...(app === undefined ? {} : { formActions: [app.redirectSource] }),
    body: html`<h1>${title}</h1>
      <p role="alert">${advice}</p>
      ${error.expose && status < 500 ? html`<p class="muted">${t('error.details', { details: error.message })}</p>` : ''}
      ${
        app === undefined
          ? ''
          : html`<form method="get" action="${app.action}">
              ${Object.entries(app.fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
              <button type="submit" class="secondary">${t('common.back_to_app', { app: app.name })}</button>
            </form>`
      }`,
  });
};
