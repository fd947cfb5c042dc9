import type { FastifyReply } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { FinishedLogin } from '../../core/flows/kinds/login.js';
import { okEnvelope, sendEnvelope } from './envelope.js';
import { loginSuccessResult } from './render.js';
import type { SecurityContext } from './tenant.js';

/** The cookie a signed-in browser carries (its value is the `Auth` access token). */
export const authCookie = '.ASPXAUTH';

export const authCookieOptions = (publicUrl: string, maxAge: number) => ({
  path: '/',
  httpOnly: true,
  sameSite: 'lax' as const,
  secure: new URL(publicUrl).protocol === 'https:',
  maxAge,
});

/** LoginSuccess, with the `.ASPXAUTH` cookie. */
export const sendLoginSuccess = (
  reply: FastifyReply,
  context: SecurityContext,
  finished: FinishedLogin,
  publicUrl: string,
) => {
  const { grant } = finished;
  // A Security API flow always ends in tokens; a flow of the hosted pages never reaches this surface.
  if (grant === undefined) throw new GatehouseError('flow_invalid', 'this login belongs to another application');
  reply.setCookie(authCookie, grant.accessToken, authCookieOptions(publicUrl, grant.expiresIn));
  return sendEnvelope(
    reply,
    okEnvelope(loginSuccessResult(context.tenant, context.podFqdn, finished.user, grant, finished.flow.firstFactor)),
  );
};
