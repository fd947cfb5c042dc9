import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { messagesFor } from '../../lib/i18n.js';
import { html, sendPage } from '../shared/html.js';

/**
 * `GET /_dev/outbox`: the mail Gatehouse would have sent, newest first. Exists only in development and test without
 * SMTP (`SMTP_URL`), never in production.
 */
export const showDevOutbox = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  if (!core.mail.usesOutbox) throw new GatehouseError('not_found', 'there is no dev outbox: mail goes to SMTP');
  const entries = await core.mail.outbox();
  const { t, locale } = messagesFor({ acceptLanguage: request.headers['accept-language'] });
  return sendPage(reply, {
    status: 200,
    title: t('page.outbox.title'),
    lang: locale,
    body: html`<h1>${t('page.outbox.title')}</h1>
      <p class="muted">${t('page.outbox.explain')}</p>
      ${entries.length === 0 ? html`<p>${t('page.outbox.empty')}</p>` : ''}
      ${entries.map(
        (entry) => html`<article>
          <h2>${entry.subject}</h2>
          <p class="muted">${t('page.outbox.to', { to: entry.to, at: entry.sentAt })}</p>
          ${entry.text.split('\n').map((line) => html`<p>${linkified(line)}</p>`)}
        </article>`,
      )}`,
  });
};

/** A line of a mail with its URLs as links (the developer follows a sign-in link from here). */
const linkified = (line: string) =>
  line.split(/(https?:\/\/\S+)/).map((part, i) => (i % 2 === 1 ? html`<a href="${part}">${part}</a>` : part));
