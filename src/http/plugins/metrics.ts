import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import type { Counter, Histogram, MetricsRegistry } from '../../core/metrics/registry.js';

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

/**
 * Request rate and latency for every route, and `GET /metrics` in the Prometheus text format. Routes are labelled by
 * their pattern (`/t/:tenant/token`), never by the raw URL, so the number of series stays bounded. The endpoint has no
 * authentication: keep it off the public listener (see docs/deployment.md).
 */
export const registerMetrics = (app: FastifyInstance, core: Core): void => {
  const { requests, duration } = instrumentsOf(core.metrics.registry);
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const method = request.method;
    requests.inc({ method, route, status: String(reply.statusCode) });
    duration.observe({ method, route }, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(core.metrics.render()),
  );
};
