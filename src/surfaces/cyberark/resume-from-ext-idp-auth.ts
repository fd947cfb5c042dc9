import type { Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { readBindingCookie } from '../shared/binding-cookie.js';
import { okEnvelope, sendEnvelope } from './envelope.js';
import { sendLoginSuccess } from './login-success.js';
import { newPackageResult } from './render.js';
import { optionalField, type ResumeFromExtIdpAuthQuery } from './schemas.js';
import { securityContext } from './tenant.js';

/**
 * `POST /Security/ResumeFromExtIdpAuth?ExtIdpAuthChallengeState=…&username=…&customerId=…` (the parameters the IdP
 * callback added to `PostExtIdpAuthCallbackUrl`; the body may carry them too): LoginSuccess with the `.ASPXAUTH`
 * cookie, or NewPackage when the tenant asks for a second factor. Once per state, only for its own user, and only for
 * whoever started the flow: the browser with its binding cookie, or the app with the `ExtIdpAuthResumeSecret` its
 * StartSocialAuthentication returned (in the JSON body).
 */
export const resumeFromExtIdpAuth = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const query = request.query as Static<typeof ResumeFromExtIdpAuthQuery>;
  const field = (name: string) => optionalField(request.body, name);
  const state = query.ExtIdpAuthChallengeState ?? field('ExtIdpAuthChallengeState');
  const username = query.username ?? field('username');
  if (state === undefined || state === '' || username === undefined || username === '')
    throw new GatehouseError('invalid_request', 'ExtIdpAuthChallengeState and username are required');
  const context = await securityContext(core, request, query.customerId ?? field('customerId') ?? field('TenantId'));
  // The app that started the flow sends its secret in the body (never the query: it would reach logs); a browser
  // that started it carries the cookie.
  const binding = field('ExtIdpAuthResumeSecret') ?? readBindingCookie(request, core.settings.publicUrl, state);
  const result = await core.login.continueLogin({
    tenant: context.tenant,
    state,
    username,
    target: 'api',
    ...(binding === undefined ? {} : { browserBinding: binding }),
    ip: request.ip,
  });
  if (result.kind === 'challenge') return sendEnvelope(reply, okEnvelope(newPackageResult(result.package)));
  return sendLoginSuccess(reply, context, result.finished, core.settings.publicUrl);
};
