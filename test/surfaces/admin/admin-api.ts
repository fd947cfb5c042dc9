import type { RunningGatehouse } from '../../harness/gatehouse.js';

export interface AdminResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly headers: Headers;
  /** Parsed JSON, or the raw text when the body is not JSON, or null when empty. */
  readonly body: unknown;
}

/** Calls the admin API of a running Gatehouse with its admin token (or the given headers). */
export const adminApi = (gh: RunningGatehouse) => {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<AdminResponse> => {
    const response = await fetch(`${gh.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${gh.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text === '' ? null : text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      headers: response.headers,
      body: parsed,
    };
  };
  return {
    call,
    get: (path: string) => call('GET', path),
    post: (path: string, body?: unknown) => call('POST', path, body),
    put: (path: string, body: unknown) => call('PUT', path, body),
    patch: (path: string, body: unknown) => call('PATCH', path, body),
    delete: (path: string) => call('DELETE', path),
  };
};

/** The RFC 9457 body the admin API answers an error with. */
export const problem = (code: string, status: number, detail: string) => ({
  type: `/docs/errors#${code}`,
  title: code,
  status,
  detail,
});

/** An RFC 3339 timestamp as the admin API writes it. */
export const isoDate = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
