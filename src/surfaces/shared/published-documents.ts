import { securityHeaders } from './security-headers.js';

/** A response that is the same for every caller, rendered once: its body and every header but Node's own. */
export interface PublishedDocument {
  readonly body: Buffer;
  /** Header names and values in turn (`content-length` included), as `writeHead` takes them. */
  readonly headers: readonly string[];
}

/** A tenant's document when this instance holds it rendered (no I/O, no promise); undefined sends the request on. */
export type DocumentSource = (tenantId: string) => PublishedDocument | undefined;

/** What the routes of the published documents send them with: JSON that caches and proxies may keep 5 minutes. */
export const publicDocumentHeaders: Readonly<Record<string, string>> = {
  'cache-control': 'public, max-age=300',
  'content-type': 'application/json; charset=utf-8',
};

/** Renders a JSON document with its route's headers and those the server adds to every response. */
const renderDocument = (json: string, headers: Readonly<Record<string, string>>): PublishedDocument => {
  const body = Buffer.from(json);
  const list: string[] = [];
  for (const [name, value] of Object.entries({ ...headers, ...securityHeaders })) list.push(name, value);
  list.push('content-length', String(body.length));
  return { body, headers: list };
};

/**
 * Renders tenants' JSON documents with `headers` (those the route sets), each kept while the tenant's JSON is the
 * same string (the caches that hold them replace the string when the document changes).
 */
export const documentRenderer = (headers: Readonly<Record<string, string>>) => {
  const rendered = new Map<string, { readonly json: string; readonly document: PublishedDocument }>();
  return (tenantId: string, json: string): PublishedDocument => {
    const hit = rendered.get(tenantId);
    if (hit !== undefined && hit.json === json) return hit.document;
    const document = renderDocument(json, headers);
    if (rendered.size >= 10_000) rendered.clear();
    rendered.set(tenantId, { json, document });
    return document;
  };
};

/**
 * Where a surface publishes documents that are the same for every caller, to be answered before the framework builds a
 * request (the server's `createPublishedDocuments`).
 */
export interface DocumentPublisher {
  /**
   * Answers `GET /t/{tenant}/{name}` from `source` (name: the path after the tenant, e.g. `jwks`); the answers are
   * counted in the metrics of `route`, the pattern of the route that serves the same document.
   */
  publish(name: string, source: DocumentSource, route: string): void;
}
