import autocannon from 'autocannon';
import { cpuSecondsOf, rssOf } from './process.js';

/** One HTTP request of a scenario, built afresh for every request sent. */
export interface RequestShape {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface LoadSpec {
  readonly url: string;
  /** A fixed request, or a function called for every request (pools of tokens). */
  readonly request: RequestShape | (() => RequestShape);
  /** Called with every response when the scenario needs its body (refresh tokens that rotate). */
  readonly onResponse?: (status: number, body: string) => void;
  /** Stop after this many requests (pools that are used up). */
  readonly amount?: number;
}

export interface LoadOptions {
  readonly connections: number;
  readonly seconds: number;
  /** Process whose RSS is sampled during the run. */
  readonly pid?: number;
}

export interface LoadResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Non-2xx answers, connection errors and timeouts. */
  readonly errors: number;
  readonly requests: number;
  readonly seconds: number;
  /** Highest RSS of `pid` seen during the run, in bytes. */
  readonly peakRss: number;
  /**
   * CPU time `pid` spent per request, in microseconds: what a request costs the server whatever else runs on the
   * machine (throughput on a busy machine is not).
   */
  readonly cpuUsPerRequest?: number;
  /**
   * Share of its own core the load generator (this process) used during the run, 0 to 1. Near 1, the client was the
   * limit as much as the server: the req/s then says little about the server, its CPU per request says more.
   */
  readonly loadCpuShare: number;
}

const percentile = (sorted: Float64Array, p: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
};

/**
 * One bounded autocannon run. Latencies are taken from every 2xx response at full precision (autocannon's own
 * histogram rounds to whole milliseconds).
 */
export const runLoad = (spec: LoadSpec, options: LoadOptions): Promise<LoadResult> =>
  new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const cpuBefore = options.pid === undefined ? 0 : cpuSecondsOf(options.pid);
    const loadCpuBefore = process.cpuUsage();
    const startedAt = performance.now();
    let peakRss = options.pid === undefined ? 0 : rssOf(options.pid);
    const sampler =
      options.pid === undefined
        ? undefined
        : setInterval(() => {
            peakRss = Math.max(peakRss, rssOf(options.pid as number));
          }, 250);
    const build = typeof spec.request === 'function' ? spec.request : () => spec.request as RequestShape;
    // A built request may take a token from a pool: only autocannon builds them (once per request sent).
    const first: RequestShape = typeof spec.request === 'function' ? { method: 'POST', path: '/' } : spec.request;
    const instance = autocannon(
      {
        url: spec.url,
        connections: options.connections,
        duration: options.seconds,
        ...(spec.amount === undefined ? {} : { amount: Math.max(spec.amount, options.connections) }),
        timeout: 10,
        requests: [
          {
            method: first.method,
            path: first.path,
            ...(typeof spec.request === 'function'
              ? {
                  setupRequest: (request: autocannon.Request) => {
                    const next = build();
                    return {
                      ...request,
                      method: next.method,
                      path: next.path,
                      headers: { ...request.headers, ...next.headers },
                      ...(next.body === undefined ? {} : { body: next.body }),
                    };
                  },
                }
              : {
                  ...(first.headers === undefined ? {} : { headers: { ...first.headers } }),
                  ...(first.body === undefined ? {} : { body: first.body }),
                }),
            ...(spec.onResponse === undefined
              ? {}
              : { onResponse: (status: number, body: string) => spec.onResponse?.(status, body) }),
          },
        ],
      },
      (error, result) => {
        if (sampler !== undefined) clearInterval(sampler);
        if (error !== null && error !== undefined) {
          reject(error);
          return;
        }
        const loadCpu = process.cpuUsage(loadCpuBefore);
        const loadCpuShare = (loadCpu.user + loadCpu.system) / 1000 / (performance.now() - startedAt);
        const sorted = Float64Array.from(latencies).sort();
        const requests = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
        resolve({
          rps: requests / result.duration,
          p50Ms: percentile(sorted, 50),
          p99Ms: percentile(sorted, 99),
          errors: result.non2xx + result.errors,
          requests,
          seconds: result.duration,
          peakRss,
          loadCpuShare,
          ...(options.pid === undefined || requests === 0
            ? {}
            : { cpuUsPerRequest: ((cpuSecondsOf(options.pid) - cpuBefore) * 1e6) / requests }),
        });
      },
    );
    instance.on('response', (_client, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
