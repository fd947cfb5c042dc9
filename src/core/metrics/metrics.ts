import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Connector } from '../../connectors/connector.js';
import type { SharedRedis } from '../../kv/kv.js';
import type { AuditEvent, AuditLog } from '../audit/events.js';
import { UpstreamError } from '../errors.js';
import type { ConnectorCache } from '../strategies/upstream/connectors.js';
import { createMetricsRegistry, type MetricsRegistry } from './registry.js';

/** Audit event types that end a login attempt, and the outcome each is counted as. */
const loginOutcomes: Partial<Record<AuditEvent['type'], string>> = {
  'login.succeeded': 'logged_in',
  'user.created': 'created',
  'identity.linked': 'linked',
  'login.new_user_required': 'new_user_required',
  'login.merge_needed': 'merge_needed',
  'login.email_missing': 'email_missing',
  'login.failed': 'failed',
};

/** The Redis circuit breaker's state and counters, read at each scrape (only when Redis is configured). */
const observeRedis = (registry: MetricsRegistry, redis: SharedRedis) => {
  registry.gauge(
    'gatehouse_redis_breaker_open',
    '1 while Redis is judged away and this instance uses its memory.',
    () => (redis.stats().state === 'closed' ? 0 : 1),
  );
  registry.gauge(
    'gatehouse_redis_breaker_opened_total',
    'Times Redis was judged away (the circuit breaker opened).',
    () => redis.stats().opened,
    'counter',
  );
  registry.gauge(
    'gatehouse_redis_breaker_closed_total',
    'Times Redis was back in use (the circuit breaker closed).',
    () => redis.stats().closed,
    'counter',
  );
  registry.gauge(
    'gatehouse_redis_fallback_calls_total',
    "Key-value and rate-limit calls answered from this instance's memory instead of Redis.",
    () => redis.stats().fallbacks,
    'counter',
  );
};

/**
 * The process's metrics: one registry per core, served by `GET /metrics`. Core instruments are here; the HTTP layer
 * adds its own to the same registry.
 * @param redis the shared store, when Redis is configured: its circuit breaker is observed.
 */
export const createCoreMetrics = (redis?: SharedRedis) => {
  const registry: MetricsRegistry = createMetricsRegistry();
  const logins = registry.counter(
    'gatehouse_logins_total',
    'Login attempts through an identity provider or password, by outcome.',
    ['idp', 'outcome'],
  );
  const idpDuration = registry.histogram(
    'gatehouse_idp_request_duration_seconds',
    'Time spent validating with an identity provider (token verification, code exchange), cached work included.',
    ['idp', 'kind', 'operation'],
  );
  const idpErrors = registry.counter(
    'gatehouse_idp_errors_total',
    'Identity provider failures (unreachable, slow, answering nonsense), by the step that failed.',
    ['idp', 'kind', 'step'],
  );
  const rateLimited = registry.counter('gatehouse_rate_limited_total', 'Attempts refused by a rate limit, by policy.', [
    'policy',
  ]);

  if (redis !== undefined) observeRedis(registry, redis);

  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  const startedAt = Date.now() / 1000;
  registry.gauge('process_resident_memory_bytes', 'Resident set size in bytes.', () => process.memoryUsage.rss());
  registry.gauge('nodejs_heap_used_bytes', 'V8 heap in use, in bytes.', () => process.memoryUsage().heapUsed);
  registry.gauge(
    'process_cpu_seconds_total',
    'User and system CPU time spent, in seconds.',
    () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    },
    'counter',
  );
  registry.gauge(
    'process_start_time_seconds',
    'Start time of the process since the epoch, in seconds.',
    () => startedAt,
  );
  registry.gauge(
    'nodejs_eventloop_delay_p99_seconds',
    'Event loop delay, 99th percentile since the last scrape.',
    () => {
      const p99 = loopDelay.percentile(99) / 1e9;
      loopDelay.reset();
      return p99;
    },
  );

  return {
    registry,
    /** Counts a login outcome (from the audit trail, so every surface is counted the same way). */
    login: (idp: string, outcome: string) => logins.inc({ idp, outcome }),
    rateLimited: (policy: string) => rateLimited.inc({ policy }),
    idpCall: (connector: Connector, operation: string, seconds: number, error?: unknown) => {
      idpDuration.observe({ idp: connector.id, kind: connector.kind, operation }, seconds);
      if (error instanceof UpstreamError) idpErrors.inc({ idp: connector.id, kind: connector.kind, step: error.step });
    },
    /** The text exposition of every metric. */
    render: () => registry.render(),
    close: () => loopDelay.disable(),
  };
};

export type CoreMetrics = ReturnType<typeof createCoreMetrics>;

/** The audit log, also counting login outcomes. */
export const observeAudit = (audit: AuditLog, metrics: CoreMetrics): AuditLog => ({
  ...audit,
  record: (event) => {
    const outcome = loginOutcomes[event.type];
    // `user.created` and `identity.linked` are login outcomes only when an IdP was involved.
    if (outcome !== undefined && (event.idp !== undefined || event.type.startsWith('login.')))
      metrics.login(event.idp ?? 'password', outcome);
    audit.record(event);
  },
});

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

const timed = async <T>(
  metrics: CoreMetrics,
  connector: Connector,
  operation: string,
  call: () => Promise<T>,
): Promise<T> => {
  const start = process.hrtime.bigint();
  try {
    const result = await call();
    metrics.idpCall(connector, operation, seconds(start));
    return result;
  } catch (error) {
    metrics.idpCall(connector, operation, seconds(start), error);
    throw error;
  }
};

/** The connector cache, handing out connectors whose IdP calls are timed and whose IdP failures are counted. */
export const observeConnectors = (cache: ConnectorCache, metrics: CoreMetrics): ConnectorCache => {
  const observed = new WeakMap<Connector, Connector>();
  const observe = (connector: Connector): Connector => {
    let wrapped = observed.get(connector);
    if (wrapped === undefined) {
      // Everything else is inherited, so a method added to the contract later is kept as it is.
      wrapped = Object.assign(Object.create(connector) as Connector, {
        completeAuthorization: (...args: Parameters<Connector['completeAuthorization']>) =>
          timed(metrics, connector, 'complete_authorization', () => connector.completeAuthorization(...args)),
        verifyToken: (...args: Parameters<Connector['verifyToken']>) =>
          timed(metrics, connector, 'verify_token', () => connector.verifyToken(...args)),
      });
      observed.set(connector, wrapped);
    }
    return wrapped;
  };
  return { ...cache, get: async (tenantId, connectionId) => observe(await cache.get(tenantId, connectionId)) };
};
