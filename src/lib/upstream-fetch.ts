import { type LookupAddress, type LookupAllOptions, type LookupOneOptions, lookup } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import { Readable } from 'node:stream';

/**
 * Addresses that are not the public internet: loopback, private (RFC 1918, RFC 4193), link-local (cloud metadata at
 * 169.254.169.254), shared (RFC 6598), unspecified, benchmarking, multicast and reserved. IPv4-mapped IPv6 addresses
 * are checked against the IPv4 rules (`BlockList` does that).
 */
const nonPublic = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  nonPublic.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 127],
  ['64:ff9b:1::', 48],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  nonPublic.addSubnet(network, prefix, 'ipv6');

/** True for an IP address of the public internet; false for any other, and for anything that is not an address. */
export const isPublicAddress = (address: string): boolean => {
  const family = isIP(address);
  if (family === 0) return false;
  return !nonPublic.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

const refused = (host: string) =>
  Object.assign(new Error(`${host} is not a public address; private upstreams are not allowed`), {
    code: 'ERR_NON_PUBLIC_ADDRESS',
  });

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * `dns.lookup` for sockets, refusing a name unless every address it resolves to is public. It runs when the socket
 * connects, on the very answer the socket uses, so a name that re-resolves to another address (DNS rebinding)
 * cannot slip through between a check and the connection.
 */
const publicLookup = (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback) => {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error !== null) return callback(error, []);
    if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address)))
      return callback(refused(hostname), []);
    if (options.all === true) return callback(null, addresses);
    const first = addresses[0] as LookupAddress;
    return callback(null, first.address, first.family);
  });
};

const agentsFor = (allowPrivate: boolean) => {
  const options = allowPrivate ? { keepAlive: true } : { keepAlive: true, lookup: publicLookup };
  return { 'http:': new http.Agent(options), 'https:': new https.Agent(options) };
};

const nullBodyStatuses = new Set([101, 204, 205, 304]);

const toResponse = (message: IncomingMessage): Response => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(message.headers)) {
    for (const item of Array.isArray(value) ? value : [value]) if (item !== undefined) headers.append(name, item);
  }
  const status = message.statusCode ?? 502;
  const body = nullBodyStatuses.has(status) ? null : (Readable.toWeb(message) as ReadableStream<Uint8Array>);
  if (body === null) message.resume();
  return new Response(body, { status, statusText: message.statusMessage ?? '', headers });
};

/**
 * The `fetch` connectors reach identity providers with. Unless `allowPrivate`, it connects only to public addresses:
 * an IP literal is checked before connecting, a name at connect time on every address it resolves to. Redirects are
 * never followed (a 3xx is returned as it is), so a public endpoint cannot bounce a request inward either way.
 */
export const createUpstreamFetch = (options: { readonly allowPrivate: boolean }): typeof globalThis.fetch => {
  const agents = agentsFor(options.allowPrivate);
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const agent = url.protocol === 'http:' || url.protocol === 'https:' ? agents[url.protocol] : undefined;
    if (agent === undefined) throw new TypeError(`fetch failed: unsupported scheme ${url.protocol}`);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!options.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host))
      throw new TypeError('fetch failed', { cause: refused(host) });
    const body = request.body === null ? undefined : Buffer.from(await request.arrayBuffer());
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const signal = init?.signal ?? undefined;
    signal?.throwIfAborted();
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<Response>((resolve, reject) => {
      const outgoing = client.request(url, {
        method: request.method,
        headers,
        agent,
        ...(signal === undefined ? {} : { signal }),
      });
      outgoing.once('response', (message) => resolve(toResponse(message)));
      outgoing.once('error', (error) => reject(new TypeError('fetch failed', { cause: error })));
      outgoing.end(body);
    });
  };
};
