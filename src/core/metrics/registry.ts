/**
 * A small Prometheus registry: counters and histograms with fixed label names, rendered in the text exposition
 * format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/). Recording is a map lookup and an
 * addition, cheap enough for every request.
 */

export type Labels<Name extends string> = { readonly [K in Name]: string };

interface Series {
  readonly values: readonly string[];
}

interface CounterSeries extends Series {
  value: number;
}

interface HistogramSeries extends Series {
  /** Per-bucket counts (not cumulative), one more than `buckets` for +Inf. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** One series of a counter, looked up once and kept by a caller that records into it often. */
export interface CounterSeriesHandle {
  inc(by?: number): void;
}

/** One series of a histogram, looked up once and kept by a caller that records into it often. */
export interface HistogramSeriesHandle {
  /** Records one observation, in seconds. */
  observe(seconds: number): void;
}

export interface Counter<Name extends string> {
  inc(labels: Labels<Name>, by?: number): void;
  /** The series of `labels`, created now if new (or the `other` series, past the series limit). */
  series(labels: Labels<Name>): CounterSeriesHandle;
}

export interface Histogram<Name extends string> {
  /** Records one observation, in seconds. */
  observe(labels: Labels<Name>, seconds: number): void;
  /** The series of `labels`, created now if new (or the `other` series, past the series limit). */
  series(labels: Labels<Name>): HistogramSeriesHandle;
}

interface Metric {
  render(out: string[]): void;
}

const escapeLabel = (value: string): string =>
  value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
const escapeHelp = (value: string): string => value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');

const labelText = (names: readonly string[], values: readonly string[], extra?: string): string => {
  const parts = names.map((name, i) => `${name}="${escapeLabel(values[i] ?? '')}"`);
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
};

const formatNumber = (value: number): string => {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return Number.isNaN(value) ? 'NaN' : String(value);
};

/** Default latency buckets, in seconds: 1 ms to 10 s. */
export const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Most distinct label sets one metric keeps; past it, new sets are folded into one `other` series. */
const maxSeries = 2000;

export const createMetricsRegistry = () => {
  const metrics = new Map<string, Metric>();

  const register = (name: string, metric: Metric) => {
    if (metrics.has(name)) throw new TypeError(`metric ${name} is registered twice`);
    metrics.set(name, metric);
  };

  const seriesOf = <S extends Series, Name extends string>(
    store: Map<string, S>,
    names: readonly Name[],
    labels: Labels<Name>,
    make: (values: string[]) => S,
  ): S => {
    let values = names.map((n) => labels[n]);
    let key = values.join('\u0000');
    let series = store.get(key);
    if (series === undefined) {
      if (store.size >= maxSeries) {
        values = names.map(() => 'other');
        key = values.join('\u0000');
        series = store.get(key);
        if (series !== undefined) return series;
      }
      series = make(values);
      store.set(key, series);
    }
    return series;
  };

  return {
    counter<Name extends string>(name: string, help: string, labelNames: readonly Name[]): Counter<Name> {
      const store = new Map<string, CounterSeries>();
      register(name, {
        render(out) {
          out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} counter`);
          for (const s of store.values())
            out.push(`${name}${labelText(labelNames, s.values)} ${formatNumber(s.value)}`);
        },
      });
      const make = (values: string[]): CounterSeries => ({ values, value: 0 });
      return {
        inc(labels, by = 1) {
          seriesOf(store, labelNames, labels, make).value += by;
        },
        series(labels) {
          const s = seriesOf(store, labelNames, labels, make);
          return {
            inc(by = 1) {
              s.value += by;
            },
          };
        },
      };
    },

    histogram<Name extends string>(
      name: string,
      help: string,
      labelNames: readonly Name[],
      buckets: readonly number[] = latencyBuckets,
    ): Histogram<Name> {
      const store = new Map<string, HistogramSeries>();
      register(name, {
        render(out) {
          out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} histogram`);
          for (const s of store.values()) {
            let cumulative = 0;
            buckets.forEach((le, i) => {
              cumulative += s.counts[i] ?? 0;
              out.push(`${name}_bucket${labelText(labelNames, s.values, `le="${formatNumber(le)}"`)} ${cumulative}`);
            });
            out.push(`${name}_bucket${labelText(labelNames, s.values, 'le="+Inf"')} ${s.count}`);
            out.push(`${name}_sum${labelText(labelNames, s.values)} ${formatNumber(s.sum)}`);
            out.push(`${name}_count${labelText(labelNames, s.values)} ${s.count}`);
          }
        },
      });
      const make = (values: string[]): HistogramSeries => ({
        values,
        counts: new Array<number>(buckets.length + 1).fill(0),
        sum: 0,
        count: 0,
      });
      const record = (s: HistogramSeries, seconds: number) => {
        let i = 0;
        while (i < buckets.length && seconds > (buckets[i] as number)) i++;
        s.counts[i] = (s.counts[i] ?? 0) + 1;
        s.sum += seconds;
        s.count += 1;
      };
      return {
        observe(labels, seconds) {
          record(seriesOf(store, labelNames, labels, make), seconds);
        },
        series(labels) {
          const s = seriesOf(store, labelNames, labels, make);
          return {
            observe(seconds) {
              record(s, seconds);
            },
          };
        },
      };
    },

    /** A value read when the metrics are scraped (memory, uptime). */
    gauge(name: string, help: string, read: () => number, type: 'gauge' | 'counter' = 'gauge'): void {
      register(name, {
        render(out) {
          out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`, `${name} ${formatNumber(read())}`);
        },
      });
    },

    /** Every metric in the text exposition format, ending with a newline. */
    render(): string {
      const out: string[] = [];
      for (const metric of metrics.values()) metric.render(out);
      return `${out.join('\n')}\n`;
    },
  };
};

export type MetricsRegistry = ReturnType<typeof createMetricsRegistry>;
