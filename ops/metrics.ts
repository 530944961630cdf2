/**
 * Prometheus metrics: the only file that imports prom-client. `PromMetrics` implements the runtime's `Metrics`
 * interface (topology/metrics.ts), so processors and connectors register the PRODUCT.md metrics through it
 * without knowing about prom-client. One registry per engine instance (no global state, testable).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Labels, MetricSpec, Metrics } from '../topology/index.js';

/** Latency buckets in seconds: 1 ms … 60 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type Metric = Counter | Gauge | Histogram;

function plain(labels: Labels | undefined): Record<string, string | number> {
  return labels ? { ...labels } : {};
}

export class PromMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly byName = new Map<string, { kind: string; metric: Metric }>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'jo_' });
  }

  private get<M extends Metric>(kind: string, spec: MetricSpec, make: () => M): M {
    const have = this.byName.get(spec.name);
    if (have) {
      if (have.kind !== kind) throw new Error(`metric ${spec.name} registered as ${have.kind}, asked for as ${kind}`);
      return have.metric as M;
    }
    const metric = make();
    this.byName.set(spec.name, { kind, metric });
    return metric;
  }

  counter(spec: MetricSpec) {
    const c = this.get(
      'counter',
      spec,
      () =>
        new Counter({
          name: spec.name,
          help: spec.help,
          labelNames: [...(spec.labelNames ?? [])],
          registers: [this.registry],
        }),
    );
    return { inc: (labels?: Labels, v = 1) => c.inc(plain(labels), v) };
  }

  gauge(spec: MetricSpec) {
    const g = this.get(
      'gauge',
      spec,
      () =>
        new Gauge({
          name: spec.name,
          help: spec.help,
          labelNames: [...(spec.labelNames ?? [])],
          registers: [this.registry],
        }),
    );
    return {
      set: (labels: Labels, v: number) => g.set(plain(labels), v),
      inc: (labels?: Labels, v = 1) => g.inc(plain(labels), v),
      dec: (labels?: Labels, v = 1) => g.dec(plain(labels), v),
    };
  }

  histogram(spec: MetricSpec) {
    const h = this.get(
      'histogram',
      spec,
      () =>
        new Histogram({
          name: spec.name,
          help: spec.help,
          labelNames: [...(spec.labelNames ?? [])],
          buckets: [...(spec.buckets ?? LATENCY_BUCKETS)],
          registers: [this.registry],
        }),
    );
    return { observe: (labels: Labels, v: number) => h.observe(plain(labels), v) };
  }

  /** Exposition text for `GET /metrics`. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
