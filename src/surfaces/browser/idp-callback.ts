import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { LoginFlow } from '../../core/flows/flow.js';
import type { Core } from '../../core/index.js';
import { readBindingCookie } from '../shared/binding-cookie.js';
import { callbackNameOf } from '../shared/callback-path.js';
import { mfaPageUrl, upstreamDoneUrl, withLogin } from '../shared/paths.js';
import { addressPageUrl, failedLoginUrl, linkPageUrl, signInPageWithNotice } from './pending-request.js';

/** What the IdP callback learnt of a flow another surface started. */
export interface IdpCallbackOutcome {
  readonly state: string;
  readonly flow: LoginFlow;
  /** Absent when the user signed in (the flow waits to be resumed). */
  readonly error?: GatehouseError;
}

/**
 * Where the browser goes after the IdP callback of a flow another surface started, one answer per flow target kind:
 * that surface's own return (a 302 to the URL it answers). The composition supplies them; the hosted pages' own
 * flows (`oauth_authorize`) continue here.
 */
export interface IdpReturns {
  /** A flow the Security API started: its caller's callback URL with the outcome. */
  readonly api: (outcome: IdpCallbackOutcome) => string;
}

/** The IdP's parameters: the query string, or the form body of Apple's `response_mode=form_post`. */
const callbackParams = (request: FastifyRequest): URLSearchParams => {
  const params = new URLSearchParams();
  const source = (request.method === 'POST' ? request.body : request.query) ?? {};
  if (typeof source !== 'object') return params;
  for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
    for (const item of Array.isArray(value) ? value : [value]) if (typeof item === 'string') params.append(name, item);
  }
  return params;
};

/**
 * `GET|POST /SocialAuth/{Name}AuthCallback` (also under `/t/{tenant}`): the IdP returns here. A state that is
 * malformed, unknown, replayed or from another browser ends on an error page (there is nowhere trusted to return to);
 * this browser's hosted login that expired at the IdP goes back to its sign-in page with a notice. Otherwise the flow
 * continues at its target: a Security API caller gets a 302 to its callback URL (`customerId`,
 * `ExtIdpAuthChallengeState`, `username`, or `error`); a hosted-pages login goes on to the second factor page or back
 * to the authorization request, to the sign-in page after a cancel at the IdP (with a notice), to the page that asks
 * for proof of an existing account (`merge_needed`), to the page that asks for an address when the IdP gave none, or back to the app with the error of any other failure.
 */
export const idpCallback =
  (core: Core, returns: IdpReturns) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { callback, tenant: pathTenant } = request.params as { callback: string; tenant?: string };
    const callbackName = callbackNameOf(callback);
    if (callbackName === undefined) throw new GatehouseError('not_found', 'there is no such callback');
    const params = callbackParams(request);
    const state = params.get('state') ?? '';
    const binding = readBindingCookie(request, core.settings.publicUrl, state);
    const hostTenant = pathTenant === undefined ? await core.tenants.findByHostname(request.host) : undefined;
    const tenantId = pathTenant ?? hostTenant?.id;
    let result: Awaited<ReturnType<Core['login']['completeUpstreamLogin']>>;
    try {
      result = await core.login.completeUpstreamLogin({
        callbackName,
        params,
        ...(binding === undefined ? {} : { browserBinding: binding }),
        ...(tenantId === undefined ? {} : { tenantId }),
        ip: request.ip,
      });
    } catch (error) {
      // This browser's hosted login expired while the user was at the IdP: back to its sign-in page, with a notice
      // (its authorization request may well still be valid). Anything else unknown stays an error page.
      if (!isGatehouseError(error) || error.code !== 'flow_invalid') throw error;
      const signInPage = await core.login.expiredHostedLogin({
        state,
        browserBinding: binding,
        ...(tenantId === undefined ? {} : { tenantId }),
      });
      if (signInPage === undefined) throw error;
      return reply.redirect(signInPageWithNotice(signInPage, 'expired'), 303);
    }
    const { target } = result.flow;
    if (target.kind === 'api')
      return reply.redirect(returns.api(result.kind === 'failed' ? result : { state, flow: result.flow }), 302);
    if (result.kind === 'email_needed') return reply.redirect(withLogin(addressPageUrl(target.signInPage), state), 303);
    if (result.kind === 'link_needed') return reply.redirect(withLogin(linkPageUrl(target.signInPage), state), 303);
    if (result.kind === 'failed') {
      // Cancelled at the IdP: the user may pick another way. Any other failure is the app's to handle.
      if (result.declined) return reply.redirect(signInPageWithNotice(target.signInPage, 'cancelled'), 303);
      return reply.redirect(withLogin(failedLoginUrl(target.signInPage), state), 303);
    }
    const tenant = await core.tenants.require(result.flow.tenantId);
    const next = await core.login.continueLogin({
      tenant,
      state,
      target: 'oauth_authorize',
      ...(binding === undefined ? {} : { browserBinding: binding }),
      ip: request.ip,
    });
    const page = next.kind === 'challenge' ? mfaPageUrl(target.signInPage) : upstreamDoneUrl(target.signInPage);
    return reply.redirect(withLogin(page, state), 303);
  };
