import type { ConnectorDeps } from '../connector.js';
import { ConnectorError, type ConnectorStep } from '../errors.js';

/** Who is calling and for which phase: every failure is tagged with the step. */
export interface UpstreamCall {
  readonly connectorId: string;
  readonly step: ConnectorStep;
}

/** An upstream answer whose body was read in full, within the timeout. */
export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** An upstream answer parsed as JSON. `body` is `unknown`: callers narrow it before use. */
export interface UpstreamJsonResponse extends UpstreamResponse {
  readonly body: unknown;
}

const maxBodyBytes = 1024 * 1024;

const isIdempotent = (init: RequestInit) => (init.method ?? 'GET').toUpperCase() === 'GET';

/**
 * The one way a connector reaches an IdP: `deps.fetch` bounded by `deps.timeoutMs` for the whole exchange (headers,
 * body and the retry), with redirects refused and the body size capped. A GET that fails on the network or with a
 * 5xx is tried once more within the same time budget; a POST (a code, a token check) never is.
 * @throws ConnectorError `idp_unavailable` when the IdP cannot be reached, is too slow, or sends an oversized body.
 */
export const upstreamFetch = async (
  deps: ConnectorDeps,
  call: UpstreamCall,
  url: string | URL,
  init: RequestInit = {},
): Promise<UpstreamResponse> => {
  const signal = AbortSignal.timeout(deps.timeoutMs);
  const attempts = isIdempotent(init) ? 2 : 1;
  for (let attempt = 1; ; attempt++) {
    let response: UpstreamResponse;
    try {
      response = await fetchOnce(deps, call, String(url), { ...init, signal, redirect: 'manual' });
    } catch (error) {
      if (error instanceof ConnectorError || signal.aborted || attempt >= attempts)
        throw unreachable(deps, call, url, error, signal);
      continue;
    }
    if (response.status >= 500 && attempt < attempts && !signal.aborted) continue;
    return response;
  }
};

const fetchOnce = async (
  deps: ConnectorDeps,
  call: UpstreamCall,
  target: string,
  init: RequestInit,
): Promise<UpstreamResponse> => {
  const response = await deps.fetch(target, init);
  const declared = Number(response.headers.get('content-length') ?? 0);
  const text = declared > maxBodyBytes ? '' : await response.text();
  if (declared > maxBodyBytes || text.length > maxBodyBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new ConnectorError('idp_unavailable', call.step, `${hostOf(target)} sent an oversized response`, {
      upstreamStatus: response.status,
    });
  }
  return { status: response.status, headers: response.headers, text };
};

const unreachable = (
  deps: ConnectorDeps,
  call: UpstreamCall,
  url: string | URL,
  error: unknown,
  signal: AbortSignal,
): ConnectorError => {
  if (error instanceof ConnectorError) return error;
  return new ConnectorError(
    'idp_unavailable',
    call.step,
    signal.aborted
      ? `${hostOf(url)} did not answer within ${deps.timeoutMs} ms`
      : `${hostOf(url)} could not be reached`,
    { cause: error },
  );
};

/**
 * Seconds to wait before asking again, from `Retry-After` (RFC 9110 §10.2.3: seconds or an HTTP date) or, failing
 * that, GitHub's `x-ratelimit-reset` (epoch seconds). Undefined when the IdP says nothing usable.
 */
export const retryAfterOf = (deps: ConnectorDeps, headers: Headers): number | undefined => {
  const now = deps.clock.now().getTime();
  const header = headers.get('retry-after')?.trim();
  if (header !== undefined && header !== '') {
    if (/^\d+$/.test(header)) return Math.max(1, Number(header));
    const at = Date.parse(header);
    if (Number.isFinite(at)) return Math.max(1, Math.ceil((at - now) / 1000));
  }
  const reset = headers.get('x-ratelimit-reset');
  if (reset !== null && /^\d+$/.test(reset)) return Math.max(1, Math.ceil(Number(reset) - now / 1000));
  return undefined;
};

/**
 * Whether the answer is the IdP rate limiting us: HTTP 429, or a 403 with `x-ratelimit-remaining: 0` (GitHub's
 * primary rate limit: https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api).
 */
export const isRateLimited = (response: UpstreamResponse): boolean =>
  response.status === 429 || (response.status === 403 && response.headers.get('x-ratelimit-remaining') === '0');

/** The `rate_limited` error of an answer `isRateLimited` recognised. */
export const rateLimited = (deps: ConnectorDeps, call: UpstreamCall, url: string | URL, response: UpstreamResponse) => {
  const retryAfterSeconds = retryAfterOf(deps, response.headers);
  return new ConnectorError('rate_limited', call.step, `${hostOf(url)} is rate limiting this application`, {
    upstreamStatus: response.status,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
};

/**
 * `upstreamFetch`, then parses JSON. A 5xx, or a body that is not JSON, is the IdP answering nonsense; a rate limit
 * (`isRateLimited`) is reported as such. Other 4xx answers are returned so the caller can map the IdP's own error.
 * @throws ConnectorError `idp_unavailable` on transport failure, 3xx, 5xx or a non-JSON body; `rate_limited`.
 */
export const upstreamJson = async (
  deps: ConnectorDeps,
  call: UpstreamCall,
  url: string | URL,
  init: RequestInit = {},
): Promise<UpstreamJsonResponse> => {
  const headers = new Headers(init.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  const response = await upstreamFetch(deps, call, url, { ...init, headers });
  if (isRateLimited(response)) throw rateLimited(deps, call, url, response);
  if (response.status >= 500 || (response.status >= 300 && response.status < 400)) {
    const retryAfterSeconds = retryAfterOf(deps, response.headers);
    throw new ConnectorError('idp_unavailable', call.step, `${hostOf(url)} answered HTTP ${response.status}`, {
      upstreamStatus: response.status,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }
  try {
    return { ...response, body: JSON.parse(response.text) as unknown };
  } catch (error) {
    throw new ConnectorError('idp_unavailable', call.step, `${hostOf(url)} answered with a body that is not JSON`, {
      cause: error,
      upstreamStatus: response.status,
    });
  }
};

/** A form-encoded POST body, as OAuth 2.0 token endpoints expect (RFC 6749 §4.1.3). */
export const formPost = (
  fields: Readonly<Record<string, string | undefined>>,
  headers: HeadersInit = {},
): RequestInit => {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) body.set(name, value);
  const all = new Headers(headers);
  all.set('content-type', 'application/x-www-form-urlencoded');
  return { method: 'POST', body: body.toString(), headers: all };
};

/** HTTP Basic credentials as RFC 6749 §2.3.1 wants them: each part form-urlencoded first. */
export const basicAuth = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(user)}:${encodeURIComponent(password)}`).toString('base64')}`;

/** A plain JSON object, or undefined. */
export const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** A non-empty string, or undefined. */
export const asString = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

export const hostOf = (url: string | URL): string => {
  try {
    return new URL(String(url)).host;
  } catch {
    return 'the identity provider';
  }
};
