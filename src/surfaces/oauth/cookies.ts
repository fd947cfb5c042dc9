import type { CookieSerializeOptions } from '@fastify/cookie';

/** The single sign-on session of one tenant (path `/t/{tenant}`): a 256-bit secret, stored only as a digest. */
export const sessionCookie = 'gatehouse_session';

/**
 * Binds a pending authorization request to the browser that started it. Its path is that request's sign-in page
 * (`/t/{tenant}/sign-in/{id}`), so several requests in one browser each keep their own.
 */
export const bindingCookie = 'gatehouse_authz';

/** HttpOnly, SameSite=Lax (sent on the top-level navigations OAuth needs), Secure when the public URL is https. */
export const cookieOptions = (url: string, maxAgeSeconds: number): CookieSerializeOptions => {
  const { protocol, pathname } = new URL(url);
  return { path: pathname, httpOnly: true, sameSite: 'lax', secure: protocol === 'https:', maxAge: maxAgeSeconds };
};
