/**
 * Keeps one global store up to date from its topic. Every instance reads the whole topic (all partitions) from
 * the beginning and applies each record through the store's update processor (default: put, delete on null).
 * Global stores are not change-logged: their topic is their changelog.
 */
import type { Clock } from '../api/clock.js';
import type { GlobalStoreDef } from '../api/builder.js';
import { noopMetrics, type Counter, type Metrics } from '../api/metrics.js';
import { topologyMetrics } from '../metric-catalogue.js';
import { prefixedMetric } from '../api/runtime-names.js';
import type { Processor, ProcessorContext } from '../api/processor.js';
import type { RawRecord } from '../api/record.js';
import type { KeyValueStore } from '../api/store.js';

export interface GlobalStoreUpdaterOptions {
  readonly applicationId: string;
  readonly clock: Clock;
  readonly metrics?: Metrics;
  /** Put before the runtime's metric names (`RuntimeNames.metricPrefix`); default none. */
  readonly metricPrefix?: string;
  /** Told about a record that could not be applied (it is skipped and counted). */
  readonly onError?: (err: unknown, raw: RawRecord) => void;
}

function defaultProcessor(store: () => KeyValueStore<unknown>): Processor<string | null, unknown, never, never> {
  return {
    process: async (r) => {
      if (r.key === null) return;
      if (r.value === null || r.value === undefined) await store().delete(r.key);
      else await store().put(r.key, r.value);
    },
  };
}

export class GlobalStoreUpdater {
  private processor: Processor<string | null, unknown, never, never> | undefined;
  private current: RawRecord | undefined;
  private readonly stopped = new AbortController();
  private readonly failures: Counter;

  constructor(
    readonly def: GlobalStoreDef,
    readonly store: KeyValueStore<unknown>,
    private readonly opts: GlobalStoreUpdaterOptions,
  ) {
    this.failures = (opts.metrics ?? noopMetrics).counter(
      prefixedMetric(opts.metricPrefix ?? '', topologyMetrics.globalStoreErrors),
    );
  }

  get topic(): string {
    return this.def.topic;
  }

  async init(): Promise<void> {
    const store = this.store;
    const p = this.def.processor ? this.def.processor() : defaultProcessor(() => store);
    const ctx: ProcessorContext<never, never> = {
      applicationId: this.opts.applicationId,
      taskId: `global-${this.def.store.name}`,
      partition: -1,
      clock: this.opts.clock,
      metrics: this.opts.metrics ?? noopMetrics,
      signal: this.stopped.signal,
      streamTime: () => this.current?.timestamp ?? -1,
      recordMetadata: () => this.current,
      forward: () => Promise.reject(new Error('a global store processor cannot forward')),
      getStateStore: <V>(name: string) => {
        if (name !== store.name) throw new RangeError(`global processor can only use its store "${store.name}"`);
        return store as KeyValueStore<V>;
      },
      schedule: () => {
        throw new Error('a global store processor cannot schedule punctuators');
      },
      deadLetter: (l) => Promise.reject(new Error(`a global store processor cannot dead-letter (${l.code})`)),
    };
    await p.init?.(ctx);
    this.processor = p;
  }

  /** Applies one record of the global topic. A record that fails is skipped, counted and reported. */
  async update(raw: RawRecord): Promise<void> {
    if (!this.processor) throw new Error(`global store ${this.def.store.name} is not initialized`);
    this.current = raw;
    try {
      const ctx = { topic: raw.topic, headers: raw.headers };
      const key = this.def.keyDeserializer(raw.key, ctx);
      const value = this.def.valueDeserializer(raw.value, ctx);
      await this.processor.process({ key, value, timestamp: raw.timestamp, headers: raw.headers });
    } catch (err) {
      this.failures.inc({ store: this.def.store.name });
      this.opts.onError?.(err, raw);
    } finally {
      this.current = undefined;
    }
  }

  async close(): Promise<void> {
    this.stopped.abort();
    await this.processor?.close?.();
  }
}
