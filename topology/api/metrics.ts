/**
 * A small metrics interface, shaped like prom-client's, so topology/, processors/ and connectors/ can count
 * and time things without importing prom-client (only ops/ does, in one file, and passes an implementation in).
 * The default implementation keeps values in memory, which is also what unit tests read.
 */
export type Labels = Readonly<Record<string, string | number>>;

export interface Counter {
  inc(labels?: Labels, value?: number): void;
}
export interface Gauge {
  set(labels: Labels, value: number): void;
  inc(labels?: Labels, value?: number): void;
  dec(labels?: Labels, value?: number): void;
}
export interface Histogram {
  /** Observe a value in the metric's unit (seconds for durations). */
  observe(labels: Labels, value: number): void;
}

export interface MetricSpec {
  /** Full name as exposed, prefix included (topology's own are prefixed with `RuntimeNames.metricPrefix`). */
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
  /** Histogram buckets. */
  readonly buckets?: readonly number[];
}

export interface Metrics {
  counter(spec: MetricSpec): Counter;
  gauge(spec: MetricSpec): Gauge;
  histogram(spec: MetricSpec): Histogram;
}

function key(labels: Labels | undefined): string {
  if (!labels) return '';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${String(labels[k])}`)
    .join(',');
}

/** In-memory metrics: `value(name, labels)` reads a counter/gauge, `observations(name)` a histogram. */
export class InMemoryMetrics implements Metrics {
  private readonly values = new Map<string, Map<string, number>>();
  private readonly samples = new Map<string, number[]>();

  /** Forgets every value (series stay registered), as the registry of a new process would start. */
  reset(): void {
    for (const s of this.values.values()) s.clear();
    for (const a of this.samples.values()) a.length = 0;
  }

  private series(name: string): Map<string, number> {
    let s = this.values.get(name);
    if (!s) {
      s = new Map<string, number>();
      this.values.set(name, s);
    }
    return s;
  }

  counter(spec: MetricSpec): Counter {
    const s = this.series(spec.name);
    return { inc: (labels, v = 1) => s.set(key(labels), (s.get(key(labels)) ?? 0) + v) };
  }

  gauge(spec: MetricSpec): Gauge {
    const s = this.series(spec.name);
    return {
      set: (labels, v) => s.set(key(labels), v),
      inc: (labels, v = 1) => s.set(key(labels), (s.get(key(labels)) ?? 0) + v),
      dec: (labels, v = 1) => s.set(key(labels), (s.get(key(labels)) ?? 0) - v),
    };
  }

  histogram(spec: MetricSpec): Histogram {
    let arr = this.samples.get(spec.name);
    if (!arr) {
      arr = [];
      this.samples.set(spec.name, arr);
    }
    const a = arr;
    return { observe: (_labels, v) => void a.push(v) };
  }

  value(name: string, labels?: Labels): number {
    return this.values.get(name)?.get(key(labels)) ?? 0;
  }

  observations(name: string): readonly number[] {
    return this.samples.get(name) ?? [];
  }
}

/** Discards everything; for callers that do not care. */
export const noopMetrics: Metrics = {
  counter: () => ({ inc: () => undefined }),
  gauge: () => ({ set: () => undefined, inc: () => undefined, dec: () => undefined }),
  histogram: () => ({ observe: () => undefined }),
};

/** How a catalogued metric is registered. */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** A metric as a folder's catalogue lists it: the spec it is registered with, and its kind. */
export interface CataloguedMetric extends MetricSpec {
  readonly kind: MetricKind;
}

/**
 * A folder's metric catalogue: every metric the folder registers, by a short name. Registering code passes the
 * entry (`metrics.counter(topologyMetrics.recordsProcessed)`), never a literal spec, so ops/ can list, document and
 * check every metric the engine exposes from data (ops/metric-catalogue.ts → docs/metrics.md).
 */
export function defineMetrics<const T extends Readonly<Record<string, CataloguedMetric>>>(catalogue: T): T {
  return catalogue;
}
