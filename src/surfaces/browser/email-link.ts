import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { html, sendPage } from '../shared/html.js';

/** The link's token: in the query of the link, in the form of the confirmation (never in a logged path). */
const params = (request: FastifyRequest) => {
  const { tenant } = request.params as { tenant: string };
  const source = (request.method === 'POST' ? request.body : request.query) as { token?: unknown } | undefined;
  const token = typeof source?.token === 'string' ? source.token : '';
  return { tenant, token };
};

/**
 * `GET /t/{tenant}/mfa/email?token=…`: the link of a sign-in email. Opening it changes nothing (mail scanners open
 * links); the person confirms with a button.
 */
export const showEmailLink = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const { tenant: tenantId, token } = params(request);
  const tenant = await core.tenants.require(tenantId);
  return sendPage(reply, {
    status: 200,
    title: `Approve sign-in – ${tenant.name}`,
    body: html`<h1>Approve this sign-in?</h1>
      <p class="muted">Only approve it if you are signing in to ${tenant.name} right now.</p>
      <form method="post" action="${`${core.settings.publicUrl}/t/${tenant.id}/mfa/email`}">
        <input type="hidden" name="token" value="${token}">
        <button type="submit">Yes, it is me</button>
      </form>`,
  });
};

/** `POST` of the same URL: approves the sign-in, once; the waiting application continues (Poll). */
export const approveEmailLink = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const { tenant: tenantId, token } = params(request);
  const tenant = await core.tenants.require(tenantId);
  await core.mfa.approveEmailLink(tenant.id, token);
  return sendPage(reply, {
    status: 200,
    title: `Sign-in approved – ${tenant.name}`,
    body: html`<h1>Sign-in approved</h1>
      <p>Go back to the window where you are signing in; it continues from there.</p>`,
  });
};
