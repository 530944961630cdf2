/**
 * Every metric the engine exposes, from each folder's catalogue, in one list; docs/metrics.md is rendered from it
 * (`npm run docs`), and ops/metric-catalogue.test.ts checks the page, the registering code and the Grafana
 * dashboard against it.
 */
import { defineMetrics, prefixedMetrics, topologyMetrics, type CataloguedMetric } from '../topology/index.js';
import { METRIC_PREFIX } from '../schemas/index.js';
import { processorMetrics } from '../processors/index.js';
import { connectorMetrics } from '../connectors/index.js';

/** Metrics the composition root registers itself. */
export const opsMetrics = defineMetrics({
  storeSize: {
    kind: 'gauge',
    name: 'jo_state_store_size',
    help: 'Keys in each local state store (estimated for RocksDB), per partition',
    labelNames: ['store', 'partition'],
  },
});

export interface MetricCatalogue {
  readonly folder: string;
  readonly metrics: Readonly<Record<string, CataloguedMetric>>;
}

/** In the order a record travels: runtime, journey steps, connectors, wiring. */
export const METRIC_CATALOGUES: readonly MetricCatalogue[] = [
  // the runtime's names carry no prefix of their own: the engine registers them with its own (StreamsApp `names`)
  { folder: 'topology', metrics: prefixedMetrics(METRIC_PREFIX, topologyMetrics) },
  { folder: 'processors', metrics: processorMetrics },
  { folder: 'connectors', metrics: connectorMetrics },
  { folder: 'ops', metrics: opsMetrics },
];

/** prom-client's Node process metrics, registered by ops/metrics.ts with the `jo_` prefix (not in a catalogue). */
export const PROCESS_METRIC_PREFIXES = ['jo_process_', 'jo_nodejs_'] as const;

export function allMetrics(catalogues: readonly MetricCatalogue[] = METRIC_CATALOGUES): CataloguedMetric[] {
  return catalogues.flatMap((c) => Object.values(c.metrics));
}

/** Names listed by more than one catalogue entry (there should be none: one name, one definition). */
export function duplicateMetrics(catalogues: readonly MetricCatalogue[] = METRIC_CATALOGUES): string[] {
  const seen = new Set<string>();
  return allMetrics(catalogues)
    .map((m) => m.name)
    .filter((n) => seen.has(n) || !seen.add(n));
}

const INTRO = `# Metrics

Generated from the metric catalogues (\`topology/metric-catalogue.ts\`, \`processors/metric-catalogue.ts\`,
\`connectors/metric-catalogue.ts\`, \`ops/metric-catalogue.ts\`) by \`npm run docs\`; a unit test fails when this
file is stale, when code registers a metric outside a catalogue, or when the Grafana dashboard
(\`ops/grafana-dashboard.json\`) queries a metric no catalogue lists.

Served on \`/metrics\` (Prometheus text) by every engine process. Counters and gauges are per process: sum them
across processes. Node process metrics (\`jo_process_*\`, \`jo_nodejs_*\`: CPU, memory, event loop, GC) come from
prom-client's defaults.
`;

const HEADINGS: Readonly<Record<string, string>> = {
  topology: 'Stream runtime (topology/)',
  processors: 'Journey pipeline (processors/)',
  connectors: 'Connectors and data sources (connectors/)',
  ops: 'Engine wiring (ops/)',
};

/** docs/metrics.md as the catalogues say it should read. */
export function metricsMarkdown(catalogues: readonly MetricCatalogue[] = METRIC_CATALOGUES): string {
  const parts = [INTRO];
  for (const c of catalogues) {
    parts.push(
      `\n## ${HEADINGS[c.folder] ?? c.folder}\n`,
      '| metric | type | labels | meaning |',
      '| --- | --- | --- | --- |',
    );
    for (const m of Object.values(c.metrics)) {
      const labels = m.labelNames?.length ? m.labelNames.join(', ') : '—';
      parts.push(`| \`${m.name}\` | ${m.kind} | ${labels} | ${m.help} |`);
    }
  }
  return parts.join('\n') + '\n';
}
