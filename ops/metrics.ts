/**
 * Prometheus metrics: the only file that imports prom-client. `PromMetrics` implements the runtime's `Metrics`
 * interface (topology/metrics.ts), so processors and connectors register the PRODUCT.md metrics through it
 * without knowing about prom-client. One registry per engine instance (no global state, testable).
 */
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';
import type { Labels, MetricSpec, Metrics } from '../topology/index.js';

/** Latency buckets in seconds: 1 ms … 60 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type Metric = Counter | Gauge | Histogram;
/** One metric of a registry as `getMetricsAsJSON` gives it (what a pipeline worker sends its parent). */
export type MetricJson = MetricObjectWithValues<MetricValue<string>>;

function plain(labels: Labels | undefined): Record<string, string | number> {
  return labels ? { ...labels } : {};
}

/** One series of a counter or gauge: what was added since the last scrape, and a value to set (gauges). */
interface Cell {
  readonly labels: Record<string, string | number>;
  delta: number;
  set: number | undefined;
}

/**
 * The series of one counter or gauge, found by their label values in `labelNames` order through nested maps.
 * Counters and gauges are bumped on every record (several per event), and prom-client's own `inc` copies, validates
 * and hashes the labels each time (~2% of the engine's CPU): here a bump is a few map lookups and an addition, and
 * the sums go to prom-client when the registry is read (its `collect` hook), so a scrape shows every bump made
 * before it. A new series is checked by prom-client when first seen (unknown label names throw there, as before).
 */
class Cells {
  private readonly root = new Map<unknown, unknown>();
  private readonly all: Cell[] = [];

  constructor(
    private readonly names: readonly string[],
    private readonly check: (labels: Record<string, string | number>) => void,
  ) {}

  cell(labels: Labels | undefined): Cell {
    let m = this.root;
    const names = this.names;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const v = labels?.[names[i] as string];
      let next = m.get(v) as Map<unknown, unknown> | undefined;
      if (!next) m.set(v, (next = new Map()));
      m = next;
    }
    const leaf = last >= 0 ? labels?.[names[last] as string] : undefined;
    let c = m.get(leaf) as Cell | undefined;
    if (!c) {
      const copy = plain(labels);
      this.check(copy);
      c = { labels: copy, delta: 0, set: undefined };
      m.set(leaf, c);
      this.all.push(c);
    }
    return c;
  }

  /** Hands every pending change to prom-client (at a scrape). */
  flush(apply: (c: Cell) => void): void {
    for (const c of this.all) if (c.delta !== 0 || c.set !== undefined) apply(c);
  }
}

export class PromMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly byName = new Map<string, { kind: string; metric: Metric; cells?: Cells }>();
  private readonly peers: Array<() => Promise<MetricJson[][]>> = [];

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

  /**
   * The series table of the counter or gauge `spec.name`, made with its metric on first use. `apply` hands a
   * series' pending change to prom-client: at a scrape, and with nothing pending when a series is first seen (which
   * has prom-client check its labels then).
   */
  private tracked(kind: 'counter' | 'gauge', spec: MetricSpec, apply: (m: Counter & Gauge, cell: Cell) => void): Cells {
    const have = this.byName.get(spec.name);
    if (have) {
      if (have.kind !== kind) throw new Error(`metric ${spec.name} registered as ${have.kind}, asked for as ${kind}`);
      if (!have.cells) throw new Error(`metric ${spec.name} has no series table`);
      return have.cells;
    }
    const cells: Cells = new Cells(spec.labelNames ?? [], (labels) =>
      apply(metric, { labels, delta: 0, set: undefined }),
    );
    const options = {
      name: spec.name,
      help: spec.help,
      labelNames: [...(spec.labelNames ?? [])],
      registers: [this.registry],
      collect: () => cells.flush((cell) => apply(metric, cell)),
    };
    const metric = (kind === 'counter' ? new Counter(options) : new Gauge(options)) as Counter & Gauge;
    this.byName.set(spec.name, { kind, metric, cells });
    return cells;
  }

  counter(spec: MetricSpec) {
    const cells = this.tracked('counter', spec, (c, cell) => {
      c.inc(cell.labels, cell.delta);
      cell.delta = 0;
    });
    return {
      inc: (labels?: Labels, v = 1) => {
        if (!(v >= 0)) throw new Error(`counter ${spec.name}: cannot add ${v}`);
        cells.cell(labels).delta += v;
      },
    };
  }

  gauge(spec: MetricSpec) {
    const cells = this.tracked('gauge', spec, (g, cell) => {
      if (cell.set !== undefined) g.set(cell.labels, cell.set);
      g.inc(cell.labels, cell.delta);
      cell.set = undefined;
      cell.delta = 0;
    });
    return {
      set: (labels: Labels, v: number) => {
        const c = cells.cell(labels);
        c.set = v;
        c.delta = 0;
      },
      inc: (labels?: Labels, v = 1) => void (cells.cell(labels).delta += v),
      dec: (labels?: Labels, v = 1) => void (cells.cell(labels).delta -= v),
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

  /**
   * Adds a source of other processes' metrics (pipeline workers): `text()` then sums their series into this
   * registry's (prom-client's cluster aggregation: counters, gauges and histograms add up).
   */
  addPeer(peer: () => Promise<MetricJson[][]>): void {
    this.peers.push(peer);
  }

  /** Exposition text for `GET /metrics`. */
  async text(): Promise<string> {
    if (this.peers.length === 0) return this.registry.metrics();
    const own = await this.registry.getMetricsAsJSON();
    const others = (await Promise.all(this.peers.map((p) => p()))).flat();
    return AggregatorRegistry.aggregate([own, ...others]).metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
