import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sha256 } from '../../lib/crypto.js';
import { signInPageUrl } from './paths.js';

/**
 * The hosted pages' cookies. Every name, path and attribute is decided here, so no page can set one differently.
 *
 * On an https public URL each cookie is `__Host-` (Secure, Path=/, no Domain: RFC 6265bis §4.1.3.2), so that a
 * sibling subdomain or a plain-http page on the same host can neither set nor shadow it. Since such a cookie cannot
 * be scoped by path, what the path kept apart is kept apart by the name instead: the tenant (and, for the binding
 * of an authorization request, that request) contributes a short digest suffix. On a plain-http public URL (local
 * development) the cookies are as they always were: `gatehouse_session` on `/t/{tenant}` and `gatehouse_authz` on
 * the request's sign-in page. Always HttpOnly and SameSite=Lax (sent on the top-level navigations OAuth needs).
 */
export interface HostedCookie {
  readonly name: string;
  /** The attributes for setting it for `maxAgeSeconds` (or, with 0, for clearing it). */
  readonly options: (maxAgeSeconds: number) => CookieSerializeOptions;
}

/** Whether the public URL lets cookies be `__Host-` (Secure). */
const secureContextOf = (publicUrl: string): boolean => new URL(publicUrl).protocol === 'https:';

const suffixOf = (...parts: string[]): string => sha256(parts.join('\u0000')).slice(0, 16);

const hostedCookie = (publicUrl: string, legacy: { name: string; scope: string }, suffix: string): HostedCookie =>
  secureContextOf(publicUrl)
    ? {
        name: `__Host-${legacy.name}_${suffix}`,
        options: (maxAge) => ({ path: '/', httpOnly: true, sameSite: 'lax', secure: true, maxAge }),
      }
    : {
        name: legacy.name,
        options: (maxAge) => ({
          path: new URL(legacy.scope).pathname,
          httpOnly: true,
          sameSite: 'lax',
          secure: false,
          maxAge,
        }),
      };

/** The single sign-on session of one tenant: a 256-bit secret, stored only as a digest. */
export const sessionCookie = (publicUrl: string, tenantId: string): HostedCookie =>
  hostedCookie(
    publicUrl,
    { name: 'gatehouse_session', scope: `${publicUrl}/t/${tenantId}` },
    suffixOf('session', tenantId),
  );

/**
 * Binds a pending authorization request to the browser that started it: one per request, so several requests in one
 * browser (tabs, clients, tenants) each keep their own.
 */
export const bindingCookie = (publicUrl: string, tenantId: string, requestId: string): HostedCookie =>
  hostedCookie(
    publicUrl,
    { name: 'gatehouse_authz', scope: signInPageUrl(`${publicUrl}/t/${tenantId}`, requestId) },
    suffixOf('authz', tenantId, requestId),
  );

export const readCookie = (request: FastifyRequest, cookie: HostedCookie): string | undefined =>
  request.cookies[cookie.name];

export const setCookie = (reply: FastifyReply, cookie: HostedCookie, value: string, maxAgeSeconds: number): void => {
  reply.setCookie(cookie.name, value, cookie.options(maxAgeSeconds));
};

export const clearCookie = (reply: FastifyReply, cookie: HostedCookie): void => {
  const { maxAge: _, ...options } = cookie.options(0);
  reply.clearCookie(cookie.name, options);
};

/** What a new session records of the browser that starts it: its `User-Agent` and address. */
export const browserOf = (request: FastifyRequest): { userAgent?: string; ip: string } => {
  const userAgent = request.headers['user-agent'];
  return { ...(typeof userAgent === 'string' ? { userAgent } : {}), ip: request.ip };
};
