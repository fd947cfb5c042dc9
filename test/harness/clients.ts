/**
 * Relying-party helpers: `openid-client` (a certified RP, not ours) pointed at a running Gatehouse, and a small
 * cookie-keeping driver that walks the hosted sign-in page with `fetch`, following redirects by hand.
 */
import * as oidc from 'openid-client';

/** An openid-client configuration from the tenant's discovery document (plain http on loopback is allowed). */
export const discover = (
  issuer: string,
  clientId: string,
  options: { secret?: string; auth?: 'basic' | 'post' | 'none' } = {},
): Promise<oidc.Configuration> => {
  const auth =
    options.auth === 'none' || options.secret === undefined
      ? oidc.None()
      : options.auth === 'basic'
        ? oidc.ClientSecretBasic(options.secret)
        : oidc.ClientSecretPost(options.secret);
  return oidc.discovery(new URL(issuer), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
};

interface StoredCookie {
  readonly value: string;
  readonly path: string;
}

/** Cookies as a browser keeps them for one host: by name and path, dropped when expired. */
export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = (key: string) =>
        attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const path = attr('path') ?? '/';
      const maxAge = attr('max-age');
      const expires = attr('expires');
      const expired =
        (maxAge !== undefined && Number(maxAge) <= 0) ||
        (expires !== undefined && new Date(expires).getTime() <= Date.now()) ||
        value === '';
      const key = `${name}\u0000${path}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { value, path });
    }
  }

  /** The `Cookie` header for a URL (RFC 6265 §5.1.4 path matching). */
  header(url: string): string {
    const { pathname } = new URL(url);
    return [...this.#cookies.entries()]
      .filter(([, c]) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([key, c]) => `${key.split('\u0000')[0]}=${c.value}`)
      .join('; ');
  }

  /** Every cookie value held (to check none leaks into logs). */
  values(): string[] {
    return [...this.#cookies.values()].map((c) => c.value);
  }

  names(): string[] {
    return [...this.#cookies.keys()].map((key) => key.split('\u0000')[0] ?? '');
  }
}

/** One request with the jar's cookies, never following redirects. */
export const browserFetch = async (jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> => {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie !== '') headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(response);
  return response;
};

/** The `Location` of a redirect, absolute. */
export const locationOf = (response: Response, base: string): string => {
  const location = response.headers.get('location');
  if (location === null) throw new Error(`expected a redirect, got ${response.status}`);
  return new URL(location, base).href;
};

/** The CSRF token of a rendered sign-in form. */
export const csrfOf = (page: string): string => {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (match?.[1] === undefined) throw new Error('no CSRF token on the page');
  return match[1];
};

export interface SignInResult {
  /** The URL the browser was finally sent to (the client's redirect URI with `code` or `error`). */
  readonly callback: URL;
  /** Every status on the way, in order. */
  readonly statuses: number[];
}

/**
 * Plays the browser: follows `authorizeUrl` to the hosted sign-in page, submits email + password, and stops at the
 * redirect to the client (not fetched). With a live session in `jar`, there is no page and the code comes at once.
 */
export const signInThroughPage = async (
  jar: CookieJar,
  authorizeUrl: string,
  credentials: { email: string; password: string },
  redirectPrefix: string,
): Promise<SignInResult> => {
  const statuses: number[] = [];
  let response = await browserFetch(jar, authorizeUrl);
  statuses.push(response.status);
  let next = locationOf(response, authorizeUrl);
  if (next.startsWith(redirectPrefix)) return { callback: new URL(next), statuses };
  response = await browserFetch(jar, next);
  statuses.push(response.status);
  if (response.status !== 200) throw new Error(`sign-in page answered ${response.status}: ${await response.text()}`);
  const page = await response.text();
  const body = new URLSearchParams({ csrf: csrfOf(page), email: credentials.email, password: credentials.password });
  response = await browserFetch(jar, next, { method: 'POST', body });
  statuses.push(response.status);
  next = locationOf(response, next);
  return { callback: new URL(next), statuses };
};

export { oidc };
