import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type {
  Counter,
  CounterSeriesHandle,
  Histogram,
  HistogramSeriesHandle,
  MetricsRegistry,
} from '../../core/metrics/registry.js';
import { sha256, verifySecretDigest } from '../../lib/crypto.js';

interface HttpInstruments {
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;
}

// One set of instruments per registry: a core served by two servers (tests) counts into the same series.
const instruments = new WeakMap<MetricsRegistry, HttpInstruments>();

const instrumentsOf = (registry: MetricsRegistry): HttpInstruments => {
  let found = instruments.get(registry);
  if (found === undefined) {
    found = {
      requests: registry.counter('gatehouse_http_requests_total', 'HTTP requests answered, by route and status.', [
        'method',
        'route',
        'status',
      ]),
      duration: registry.histogram(
        'gatehouse_http_request_duration_seconds',
        'Time from receiving a request to sending the response, by route.',
        ['method', 'route'],
      ),
    };
    instruments.set(registry, found);
  }
  return found;
};

type Recorder = (method: string, status: number, seconds: number) => void;

/** Records the requests of one route pattern, each series looked up once and kept. */
const recorderOf = ({ requests, duration }: HttpInstruments, route: string): Recorder => {
  const byMethod = new Map<
    string,
    { readonly duration: HistogramSeriesHandle; readonly byStatus: Map<number, CounterSeriesHandle> }
  >();
  return (method, status, seconds) => {
    let series = byMethod.get(method);
    if (series === undefined) {
      series = { duration: duration.series({ method, route }), byStatus: new Map() };
      byMethod.set(method, series);
    }
    let count = series.byStatus.get(status);
    if (count === undefined) {
      count = requests.series({ method, route, status: String(status) });
      series.byStatus.set(status, count);
    }
    count.inc();
    series.duration.observe(seconds);
  };
};

/**
 * Records the answers of `GET route` sent without Fastify (published documents, always 200) into the route's own
 * series.
 */
export const documentRecorder = (core: Core, route: string): ((seconds: number) => void) => {
  const record = recorderOf(instrumentsOf(core.metrics.registry), route);
  return (seconds) => record('GET', 200, seconds);
};

const asArray = <T>(value: T | readonly T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? [...value] : [value as T];

/**
 * Request rate and latency for every route, and `GET /metrics` in the Prometheus text format. Routes are labelled by
 * their pattern (`/t/:tenant/token`), never by the raw URL, so the number of series stays bounded. With `token`, the
 * endpoint requires it as a bearer token (compared in constant time); without it, it is served only where `served`
 * says (development and test), and otherwise not at all (404).
 *
 * Each route gets an `onResponse` hook of its own that knows its pattern (so nothing is looked up per request); call
 * this before any route is added. Requests no route matched are counted by a server-wide hook as `unmatched`.
 */
export const registerMetrics = (
  app: FastifyInstance,
  core: Core,
  access: { readonly served: boolean; readonly token?: string },
): void => {
  const http = instrumentsOf(core.metrics.registry);
  app.addHook('onRoute', (route) => {
    const record = recorderOf(http, route.url);
    const onResponse: onResponseHookHandler = (request, reply, done) => {
      record(request.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    };
    route.onResponse = [...asArray(route.onResponse), onResponse];
  });
  const unmatched = recorderOf(http, 'unmatched');
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) unmatched(request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  if (!access.served) return;
  const digest = access.token === undefined ? undefined : sha256(access.token);
  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (request, reply) => {
    if (digest !== undefined) {
      const presented = /^Bearer ([\x21-\x7e]+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (presented === undefined || !verifySecretDigest(presented, digest)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw new GatehouseError('unauthorized', 'a valid metrics bearer token is required');
      }
    }
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(core.metrics.render());
  });
};
