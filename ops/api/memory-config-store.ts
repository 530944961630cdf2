/**
 * A ConfigStore held in process memory: the same ConfigView and the same write contract as KafkaConfigStore
 * (offsets, the record each write replaced, read-your-writes), without a broker. It backs the API's unit tier —
 * routes driven with `inject()` in milliseconds — and `jo` commands that need an API but no topic. What only a broker
 * shows (replay after restart, two API processes racing on one topic, compaction) stays in the broker tests.
 */
import { ConfigView, parseConfigKey, type CompileOptions } from '../../schemas/index.js';
import type { ConfigStore, WriteResult } from './config-store.js';

interface Stored {
  readonly offset: bigint;
  /** The record as written; journey version configs keep none (KafkaConfigStore does not either). */
  readonly value: string | null;
}

export interface MemoryConfigStoreOptions {
  readonly compile?: CompileOptions;
  /** Called with every record the view refused, as KafkaConfigStore's `onBadRecord`. */
  readonly onBadRecord?: (key: string, problems: readonly { code: string; message: string }[]) => void;
}

export class MemoryConfigStore implements ConfigStore {
  readonly view: ConfigView;
  private readonly latest = new Map<string, Stored>();
  private nextOffset = 0n;
  private closed = false;
  /** Every record written, in order: what a consumer of the topic would read. */
  readonly records: Array<{ readonly offset: bigint; readonly key: string; readonly value: string | null }> = [];

  constructor(private readonly opts: MemoryConfigStoreOptions = {}) {
    this.view = new ConfigView(opts.compile ? { compile: opts.compile } : {});
  }

  write(key: string, value: unknown): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new Error('MemoryConfigStore is closed'));
    const text = value === null ? null : JSON.stringify(value);
    const offset = this.nextOffset++;
    this.records.push({ offset, key, value: text });
    const r = this.view.apply(key, text);
    if (!r.ok) this.opts.onBadRecord?.(r.key, r.problems);
    const prev = this.latest.get(key);
    this.latest.set(key, { offset, value: parseConfigKey(key)?.version === undefined ? text : null });
    return Promise.resolve({
      offset,
      previousOffset: prev?.offset,
      previousValue: prev?.value ? (JSON.parse(prev.value) as unknown) : undefined,
    });
  }

  offsetOf(key: string): bigint | undefined {
    return this.latest.get(key)?.offset;
  }

  isReady(): boolean {
    return !this.closed;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
