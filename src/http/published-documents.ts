import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FastifyServerOptions } from 'fastify';
import { tenantIdShape } from '../core/tenants/tenant.js';
import type { DocumentPublisher, DocumentSource, PublishedDocument } from '../surfaces/shared/published-documents.js';

/** Counts one answered request and its duration in seconds (the route's metrics). */
export type DocumentRecorder = (seconds: number) => void;

const tenantPrefix = '/t/';

/**
 * Documents that are the same for every caller, a tenant's discovery metadata and JWKS, answered in the HTTP
 * server's request event, before Fastify builds a request and a reply, routes and runs its hooks. They are what every
 * relying party and gateway fetches, without credentials, so they are also what a flood of anonymous requests hits:
 * answered this way they cost little more than the bytes sent.
 *
 * Only a plain `GET /t/{tenant}/{name}` (no query string) is answered here, and only while its source has the document
 * ready, which it renders from the same caches the routes use. Everything else (another method or shape, a tenant or
 * key set not in memory or stale, an unknown tenant, a closing server) goes to Fastify, whose routes serve the same
 * bytes and headers and answer every error. Requests answered here are counted in the route's metrics; they are not
 * logged, so the server turns this off when request logging is on (`enabled`).
 */
export const createPublishedDocuments = (options: {
  readonly enabled: boolean;
  /** The recorder of a route's metrics, for the requests answered here. */
  readonly recorderOf: (route: string) => DocumentRecorder;
}) => {
  const documents = new Map<string, { readonly source: DocumentSource; readonly record: DocumentRecorder }>();
  let open = options.enabled;

  /** @returns whether the request was answered. */
  const answer = (request: IncomingMessage, response: ServerResponse): boolean => {
    const url = request.url;
    if (request.method !== 'GET' || url === undefined || !url.startsWith(tenantPrefix)) return false;
    const slash = url.indexOf('/', tenantPrefix.length);
    if (slash < 0) return false;
    const published = documents.get(url.slice(slash + 1));
    if (published === undefined) return false;
    const tenantId = url.slice(tenantPrefix.length, slash);
    if (!tenantIdShape.test(tenantId)) return false;
    const start = performance.now();
    let document: PublishedDocument | undefined;
    try {
      document = published.source(tenantId);
    } catch {
      // Not ours to report: the route runs the same code and answers (and logs) whatever went wrong.
      return false;
    }
    if (document === undefined) return false;
    response.writeHead(200, document.headers as string[]);
    response.end(document.body);
    published.record((performance.now() - start) / 1000);
    return true;
  };

  const publisher: DocumentPublisher = {
    publish(name, source, route) {
      documents.set(name, { source, record: options.recorderOf(route) });
    },
  };
  return {
    ...publisher,
    /** From now on every request goes to Fastify (which answers 503 while it closes). */
    close(): void {
      open = false;
    },
    /**
     * Fastify's `serverFactory`: the HTTP/1.1 server Fastify would make (its timeouts and limits), whose requests go
     * to {@link answer} first.
     */
    serverFactory: (
      handler: (request: IncomingMessage, response: ServerResponse) => void,
      settings: FastifyServerOptions,
    ): Server => {
      const server = createServer((request, response) => {
        if (!open || !answer(request, response)) handler(request, response);
      });
      if (settings.keepAliveTimeout !== undefined) server.keepAliveTimeout = settings.keepAliveTimeout;
      if (settings.requestTimeout !== undefined) server.requestTimeout = settings.requestTimeout;
      if (settings.connectionTimeout !== undefined) server.setTimeout(settings.connectionTimeout);
      if (settings.maxRequestsPerSocket !== undefined && settings.maxRequestsPerSocket > 0)
        server.maxRequestsPerSocket = settings.maxRequestsPerSocket;
      return server;
    },
  };
};

export type PublishedDocuments = ReturnType<typeof createPublishedDocuments>;
