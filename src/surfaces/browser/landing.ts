import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { messagesFor } from '../../lib/i18n.js';
import { html, sendPage } from '../shared/html.js';
import { pageContext, pageIn } from './page-context.js';

/**
 * Whether the caller asked for JSON rather than a page: `Accept` names JSON and not HTML. A program probing the base
 * URL gets the JSON 404 it always got; a person gets a page.
 */
const wantsJson = (request: FastifyRequest): boolean => {
  const accept = request.headers.accept ?? '';
  return /json/i.test(accept) && !/text\/html/i.test(accept);
};

const notFoundJson = (request: FastifyRequest, reply: FastifyReply) =>
  reply
    .code(404)
    .type('application/problem+json')
    .send({
      type: '/docs/errors#not_found',
      title: 'not_found',
      status: 404,
      detail: `no route ${request.method} ${request.url.split('?')[0]}`,
    });

/** `GET /`: what this service is, for a person who typed its address. */
export const showLanding = () => async (request: FastifyRequest, reply: FastifyReply) => {
  if (wantsJson(request)) return notFoundJson(request, reply);
  const { t, locale } = messagesFor({ acceptLanguage: request.headers['accept-language'] });
  return sendPage(reply, {
    status: 200,
    title: t('landing.title'),
    lang: locale,
    body: html`<h1>${t('landing.heading')}</h1>
      <p>${t('landing.explain')}</p>
      <p class="muted">${t('landing.how_to_sign_in')}</p>`,
  });
};

/** `GET /t/{tenant}`: the tenant's sign-in service, and where its users manage their account. */
export const showTenantLanding = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  if (wantsJson(request)) return notFoundJson(request, reply);
  const { tenant: tenantId } = request.params as { tenant: string };
  const tenant = await core.tenants.require(tenantId);
  const context = pageContext(request, tenant);
  const { t } = context.messages;
  const base = `${core.settings.publicUrl}/t/${tenant.id}`;
  return sendPage(
    reply,
    pageIn(context, {
      status: 200,
      title: t('landing.tenant.title'),
      body: html`<h1>${t('landing.tenant.heading', { name: context.brand.name })}</h1>
      <p>${t('landing.tenant.explain', { name: context.brand.name })}</p>
      <p class="muted">${t('landing.how_to_sign_in')}</p>
      <a class="button" href="${`${base}/account`}">${t('landing.tenant.account')}</a>
      <a class="button secondary" href="${`${base}/mfa`}">${t('landing.tenant.two_step')}</a>`,
    }),
  );
};
