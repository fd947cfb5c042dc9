import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { html, sendPage } from '../shared/html.js';

/**
 * `GET /_dev/outbox`: the mail Gatehouse would have sent, newest first. Exists only in development and test without
 * SMTP (`SMTP_URL`), never in production.
 */
export const showDevOutbox = (core: Core) => async (_request: FastifyRequest, reply: FastifyReply) => {
  if (!core.mail.usesOutbox) throw new GatehouseError('not_found', 'there is no dev outbox: mail goes to SMTP');
  const entries = await core.mail.outbox();
  return sendPage(reply, {
    status: 200,
    title: 'Dev outbox',
    body: html`<h1>Dev outbox</h1>
      <p class="muted">Development only: mail that was not sent because no SMTP server is configured.</p>
      ${entries.length === 0 ? html`<p>No mail yet.</p>` : ''}
      ${entries.map(
        (entry) => html`<article>
          <h2>${entry.subject}</h2>
          <p class="muted">To ${entry.to}, ${entry.sentAt}</p>
          ${entry.text.split('\n').map((line) => html`<p>${line}</p>`)}
        </article>`,
      )}`,
  });
};
