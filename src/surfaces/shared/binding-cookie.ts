import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sha256 } from '../../lib/crypto.js';

/** Longest a login flow waits for its browser (from the redirect to the IdP until the last challenge). */
const maxAgeSeconds = 30 * 60;

const secureContextOf = (publicUrl: string): boolean => {
  const url = new URL(publicUrl);
  return (
    url.protocol === 'https:' ||
    url.hostname === 'localhost' ||
    url.hostname === '127.0.0.1' ||
    url.hostname === '[::1]'
  );
};

/**
 * Each login flow started in a browser has its own binding cookie, named after its state, so two flows in two tabs
 * do not overwrite each other. The value is the flow's binding secret; only its digest is stored. Where the cookie is
 * Secure it is also `__Host-` (host-only, Path=/, Secure: RFC 6265bis §4.1.3.2), so that a sibling subdomain cannot
 * set or shadow it.
 */
export const bindingCookieName = (publicUrl: string, state: string): string =>
  `${secureContextOf(publicUrl) ? '__Host-' : ''}gatehouse_flow_${sha256(state).slice(0, 16)}`;

/**
 * HttpOnly, path `/` (the callback may be at the root or under `/t/{tenant}`). Apple returns with a cross-site
 * form_post, which carries only `SameSite=None` cookies, and those must be `Secure`: so `None; Secure` on https and
 * on localhost (which browsers treat as secure), `Lax` on other plain-http hosts.
 */
export const bindingCookieOptions = (publicUrl: string, maxAge = maxAgeSeconds): CookieSerializeOptions => {
  return secureContextOf(publicUrl)
    ? { path: '/', httpOnly: true, sameSite: 'none', secure: true, maxAge }
    : { path: '/', httpOnly: true, sameSite: 'lax', secure: false, maxAge };
};

export const setBindingCookie = (reply: FastifyReply, publicUrl: string, state: string, binding: string): void => {
  reply.setCookie(bindingCookieName(publicUrl, state), binding, bindingCookieOptions(publicUrl));
};

export const readBindingCookie = (request: FastifyRequest, publicUrl: string, state: string): string | undefined =>
  request.cookies[bindingCookieName(publicUrl, state)];

export const clearBindingCookie = (reply: FastifyReply, publicUrl: string, state: string): void => {
  const { maxAge: _, ...options } = bindingCookieOptions(publicUrl, 0);
  reply.clearCookie(bindingCookieName(publicUrl, state), options);
};
