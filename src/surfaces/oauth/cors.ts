import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';
import type { Core } from '../../core/index.js';
import { tenantOf } from '../shared/tenant.js';
import { presentedClient } from '../shared/token/client-auth.js';

/*
 * Cross-origin access (the Fetch standard's CORS protocol) is decided here and nowhere else. Three kinds of route:
 * - the public documents (discovery, RFC 8414 metadata, JWKS): any origin may read them; no credentials involved;
 * - the token-side endpoints a single-page application calls (token, userinfo, revoke, introspect): only the origins
 *   a client of the tenant registered (`allowedOrigins`), matched exactly, and for `/token` only the origins of the
 *   client the request names;
 * - everything else (authorize, logout, pages, admin): no CORS at all, so a browser refuses to let another origin
 *   read them.
 * Credentials mode is never allowed: these endpoints take their credentials in the request, never from cookies.
 */

/** What the public documents are sent with, besides their own headers. */
export const publicCorsHeaders: Readonly<Record<string, string>> = { 'access-control-allow-origin': '*' };

/** How long a browser may reuse a preflight's answer (seconds). */
const preflightMaxAge = '600';
/** Request headers a script may send: form bodies are safelisted, but `Authorization` (Basic, Bearer) is not. */
const allowedRequestHeaders = 'authorization, content-type';
/** Response headers a script may read besides the safelisted ones: the bearer challenge and the rate limit's wait. */
const exposedHeaders = 'www-authenticate, retry-after';

const originOf = (request: FastifyRequest): string | undefined => {
  const origin = request.headers.origin;
  return typeof origin === 'string' && origin !== '' ? origin : undefined;
};

const requestedMethodOf = (request: FastifyRequest): string | undefined => {
  const method = request.headers['access-control-request-method'];
  return typeof method === 'string' ? method : undefined;
};

/** `OPTIONS` of a public document: any origin, `GET` only. */
export const publicPreflight = (_request: FastifyRequest, reply: FastifyReply): void => {
  reply
    .code(204)
    .headers({
      ...publicCorsHeaders,
      'access-control-allow-methods': 'GET',
      'access-control-max-age': preflightMaxAge,
      'cache-control': 'public, max-age=300',
    })
    .send();
};

/**
 * The origins the clients of each tenant registered, read through `core.clients.list` and kept a couple of seconds
 * per instance (as clients are): a change is seen within that.
 */
const tenantOrigins = (core: Core) => {
  const ttlMs = 2000;
  const cache = new Map<string, { readonly at: number; readonly origins: Promise<ReadonlySet<string>> }>();
  return (tenantId: string): Promise<ReadonlySet<string>> => {
    const now = core.clock.now().getTime();
    const hit = cache.get(tenantId);
    if (hit !== undefined && now - hit.at < ttlMs) return hit.origins;
    const origins = core.clients
      .list(tenantId)
      .then((clients) => new Set(clients.flatMap((c) => c.settings.allowedOrigins ?? [])));
    if (cache.size >= 10_000) cache.clear();
    cache.set(tenantId, { at: now, origins });
    origins.catch(() => cache.delete(tenantId));
    return origins;
  };
};

/** The tenant the request's hook resolved, or undefined (an unknown tenant's error response). */
const resolvedTenantId = (request: FastifyRequest): string | undefined => {
  try {
    return tenantOf(request).id;
  } catch {
    return undefined;
  }
};

const allowOrigin = (reply: FastifyReply, origin: string): void => {
  reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', exposedHeaders);
};

/** Whether `origin` may call a token-side endpoint of this tenant: some client of it registered the origin. */
export type OriginCheck = (request: FastifyRequest, origin: string) => Promise<boolean>;

/** The CORS policy of the token-side endpoints of one OAuth surface. */
export const createCors = (core: Core) => {
  const originsOf = tenantOrigins(core);

  /** Some client of the request's tenant registered `origin`. */
  const anyClientAllows: OriginCheck = async (request, origin) => {
    const tenantId = resolvedTenantId(request);
    return tenantId !== undefined && (await originsOf(tenantId)).has(origin);
  };

  /**
   * The client the request names (Basic credentials or `client_id`, authenticated or not: the answer is the same
   * error either way) is of this tenant and registered `origin`.
   */
  const requestClientAllows: OriginCheck = async (request, origin) => {
    const tenantId = resolvedTenantId(request);
    if (tenantId === undefined) return false;
    let clientId: string;
    try {
      clientId = presentedClient(
        request,
        (request.body ?? {}) as { client_id?: string; client_secret?: string },
      ).clientId;
    } catch {
      return false;
    }
    const client = await core.clients.find(clientId);
    return (
      client !== undefined && client.tenantId === tenantId && (client.settings.allowedOrigins ?? []).includes(origin)
    );
  };

  /**
   * An `onSend` hook that lets `origin` read the response (success or error) when `allowed` says so. Requests
   * without `Origin` (servers, same-origin) pass untouched, at the cost of one header lookup and no promise. When the
   * check cannot be made (the store is down), the answer goes out without CORS headers, which the browser refuses.
   */
  const actual =
    (allowed: OriginCheck): onSendHookHandler =>
    (request, reply, payload, done) => {
      const origin = originOf(request);
      if (origin === undefined) {
        done(null, payload);
        return;
      }
      reply.header('vary', 'Origin');
      allowed(request, origin).then(
        (ok) => {
          if (ok) allowOrigin(reply, origin);
          done(null, payload);
        },
        (error: unknown) => {
          request.log.warn({ err: error }, 'cors.check_failed');
          done(null, payload);
        },
      );
    };

  /**
   * The preflight of a token-side endpoint: 204 with the methods and headers when some client of the tenant
   * registered the origin (a preflight carries no credentials, so the client is not known yet), else 204 without
   * CORS headers, which the browser takes as a refusal.
   */
  const preflight =
    (methods: readonly string[]) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const origin = originOf(request);
      const method = requestedMethodOf(request);
      reply.header('vary', 'Origin').header('allow', [...methods, 'OPTIONS'].join(', '));
      if (
        origin !== undefined &&
        method !== undefined &&
        methods.includes(method) &&
        (await anyClientAllows(request, origin))
      ) {
        allowOrigin(reply, origin);
        reply.headers({
          'access-control-allow-methods': methods.join(', '),
          'access-control-allow-headers': allowedRequestHeaders,
          'access-control-max-age': preflightMaxAge,
        });
      }
      reply.code(204).send();
    };

  return {
    /** `/token`: the origins of the client the request names. */
    forClientOfRequest: actual(requestClientAllows),
    /** `/userinfo`, `/revoke`, `/introspect`: the origins any client of the tenant registered. */
    forAnyClient: actual(anyClientAllows),
    preflight,
  };
};
