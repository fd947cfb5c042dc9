import type { UpstreamStep } from '../../core/errors.js';
import { UpstreamError } from '../../core/errors.js';
import type { ConnectorDeps } from '../connector.js';

/** Who is calling and for which phase: every failure is tagged with both. */
export interface UpstreamCall {
  readonly connectorId: string;
  readonly step: UpstreamStep;
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

/**
 * The one way a connector reaches an IdP: `deps.fetch` bounded by `deps.timeoutMs` for the whole exchange (headers
 * and body), with redirects refused and the body size capped.
 * @throws UpstreamError (`idp_unavailable`) when the IdP cannot be reached, is too slow, or sends an oversized body.
 */
export const upstreamFetch = async (
  deps: ConnectorDeps,
  call: UpstreamCall,
  url: string | URL,
  init: RequestInit = {},
): Promise<UpstreamResponse> => {
  const signal = AbortSignal.timeout(deps.timeoutMs);
  const target = String(url);
  try {
    const response = await deps.fetch(target, { ...init, signal, redirect: 'manual' });
    const declared = Number(response.headers.get('content-length') ?? 0);
    const text = declared > maxBodyBytes ? '' : await response.text();
    if (declared > maxBodyBytes || text.length > maxBodyBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new UpstreamError(call.connectorId, call.step, `${hostOf(target)} sent an oversized response`, {
        upstreamStatus: response.status,
      });
    }
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    const timedOut = signal.aborted;
    throw new UpstreamError(
      call.connectorId,
      call.step,
      timedOut
        ? `${hostOf(target)} did not answer within ${deps.timeoutMs} ms`
        : `${hostOf(target)} could not be reached`,
      { cause: error },
    );
  }
};

/**
 * `upstreamFetch`, then parses JSON. A 5xx, or a body that is not JSON, is the IdP answering nonsense.
 * 4xx answers are returned so the caller can map the IdP's own error to a client-facing code.
 * @throws UpstreamError (`idp_unavailable`) on transport failure, 5xx or a non-JSON body.
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
  if (response.status >= 500 || (response.status >= 300 && response.status < 400)) {
    throw new UpstreamError(call.connectorId, call.step, `${hostOf(url)} answered HTTP ${response.status}`, {
      upstreamStatus: response.status,
    });
  }
  try {
    return { ...response, body: JSON.parse(response.text) as unknown };
  } catch (error) {
    throw new UpstreamError(call.connectorId, call.step, `${hostOf(url)} answered with a body that is not JSON`, {
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

const hostOf = (url: string | URL): string => {
  try {
    return new URL(String(url)).host;
  } catch {
    return 'the identity provider';
  }
};
