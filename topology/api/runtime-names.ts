/**
 * Names the runtime gives what it writes for an application: dead-letter header names and the prefix of the metric
 * names it registers. topology/ knows no product: an application passes its own (the journey engine's come from
 * schemas/ through processors/ and ops/); the defaults are neutral.
 */
import type { MetricSpec } from './metrics.js';

/** Header names on a dead letter: why (code, message) and where from (source topic, partition, offset). */
export interface DeadLetterHeaderNames {
  readonly code: string;
  readonly message: string;
  readonly sourceTopic: string;
  readonly sourcePartition: string;
  readonly sourceOffset: string;
}

export interface RuntimeNames {
  readonly deadLetterHeaders: DeadLetterHeaderNames;
  /** Put before every runtime metric name of topology/metric-catalogue.ts (e.g. `app_` → `app_consumer_lag`). */
  readonly metricPrefix: string;
}

/** Neutral names: `error.code`, `error.message`, `source.topic|partition|offset`, no metric prefix. */
export const defaultRuntimeNames: RuntimeNames = {
  deadLetterHeaders: {
    code: 'error.code',
    message: 'error.message',
    sourceTopic: 'source.topic',
    sourcePartition: 'source.partition',
    sourceOffset: 'source.offset',
  },
  metricPrefix: '',
};

/** A catalogued metric with the application's prefix. */
export function prefixedMetric<T extends MetricSpec>(prefix: string, spec: T): T {
  return prefix ? { ...spec, name: `${prefix}${spec.name}` } : spec;
}

/** Every entry of a metric catalogue with the application's prefix (for listing and documenting them). */
export function prefixedMetrics<T extends Readonly<Record<string, MetricSpec>>>(prefix: string, catalogue: T): T {
  const out: Record<string, MetricSpec> = {};
  for (const [k, spec] of Object.entries(catalogue)) out[k] = prefixedMetric(prefix, spec);
  return out as T;
}
