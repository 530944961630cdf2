/**
 * The API's link to `jo.config`: writes are produced with acks=all (idempotent producer) and acknowledged only
 * once the broker has them; reads come from a ConfigView fed by a consumer that replays the topic from the
 * beginning, so a restarted API serves exactly what the topic holds. A write resolves only after this process's
 * view has applied it, which gives the writer read-your-writes.
 */
import { randomUUID } from 'node:crypto';
import {
  CompressionTypes,
  createKafka,
  retryKafka,
  type Consumer,
  type KafkaClient,
  type Producer,
} from '../../topology/index.js';
import { ConfigView, parseConfigKey, type CompileOptions } from '../../schemas/index.js';
import { opsCodes } from '../codes.js';

/** What a write found: its offset, and the record of the same key that preceded it in the topic. */
export interface WriteResult {
  readonly offset: bigint;
  /** Offset of the previous record with this key (`undefined`: none, or older than the store remembers). */
  readonly previousOffset: bigint | undefined;
  /** That record's JSON value (`undefined` for none or a tombstone). */
  readonly previousValue: unknown;
}

/** What the API needs from the config topic. */
export interface ConfigStore {
  readonly view: ConfigView;
  /**
   * Produces `value` (JSON; `null` = tombstone) under `key`; resolves once acked and visible in `view` — or once
   * acked only, with `{ visible: false }` (a later write's visibility implies it: one partition, applied in order;
   * `previousOffset`/`previousValue` are then unknown).
   */
  write(key: string, value: unknown, opts?: { readonly visible?: boolean }): Promise<WriteResult>;
  /** Offset of the record behind the view's current value of `key` (compare with `WriteResult.previousOffset`). */
  offsetOf(key: string): bigint | undefined;
  /** True once the view has replayed the topic up to where it ended at start-up. */
  isReady(): boolean;
  close(): Promise<void>;
}

export interface KafkaConfigStoreOptions {
  readonly brokers: readonly string[];
  /** The config topic, `jo.config` by default. */
  readonly topic: string;
  readonly clientId?: string;
  readonly compile?: CompileOptions;
  /** Longest wait for the view to show a write the broker acked (default 15 s). */
  readonly visibleTimeoutMs?: number;
  /** Called with every record the view refused (bad JSON, invalid resource). */
  readonly onBadRecord?: (key: string, problems: readonly { code: string; message: string }[]) => void;
}

function parseOrUndefined(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8')) as unknown;
  } catch {
    return undefined; // the view refused that record too; the writer rebases on nothing
  }
}

/** How many recent records' predecessors are kept for writers to check (more than any burst of writes). */
const PREDECESSORS_KEPT = 10_000;

interface Waiter {
  readonly partition: number;
  readonly offset: bigint;
  readonly resolve: () => void;
}

/** ConfigStore over a real Kafka topic. Create with `KafkaConfigStore.open`. */
export class KafkaConfigStore implements ConfigStore {
  readonly view: ConfigView;
  private readonly applied = new Map<number, bigint>();
  private readonly target = new Map<number, bigint>();
  private waiters: Waiter[] = [];
  private readyFlag = false;
  private readonly latest = new Map<string, { offset: bigint; value: Buffer | null }>();
  private readonly predecessors = new Map<string, { offset: bigint; value: Buffer | null } | undefined>();
  private crashed = false;

  private constructor(
    private readonly opts: KafkaConfigStoreOptions,
    private readonly kafka: KafkaClient,
    private readonly producer: Producer,
    private readonly consumer: Consumer,
  ) {
    this.view = new ConfigView(opts.compile ? { compile: opts.compile } : {});
  }

  /** Connects, notes where the topic ends, and starts replaying it. Readiness follows (`isReady`, `whenReady`). */
  static async open(opts: KafkaConfigStoreOptions): Promise<KafkaConfigStore> {
    const kafka = createKafka({ brokers: opts.brokers, clientId: opts.clientId ?? 'jo-api' });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    // a fresh group each start: the view is rebuilt from offset 0, never from committed offsets
    // maxWaitTimeInMs: a stopping kafkajs consumer waits for its fetch in flight, which an idle topic holds for the
    // whole wait (kafkajs' default 5 s was most of `jo start`'s exit after SIGTERM); a record ends a fetch at once
    const consumer = kafka.consumer({
      groupId: `jo-api-view-${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
    });
    const store = new KafkaConfigStore(opts, kafka, producer, consumer);
    await store.start();
    return store;
  }

  private async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const p of await retryKafka(() => admin.fetchTopicOffsets(this.opts.topic))) {
        if (BigInt(p.high) > BigInt(p.low)) this.target.set(p.partition, BigInt(p.high) - 1n);
      }
    } finally {
      await admin.disconnect();
    }
    this.checkReady();
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
    // kafkajs restarts the consumer after retriable failures; when it gives up, the view is stale: not ready
    this.consumer.onCrash((e) => {
      if (!e.restart) this.crashed = true;
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const key = m.key?.toString('utf8') ?? '';
          const r = this.view.apply(key, m.value);
          if (!r.ok) this.opts.onBadRecord?.(r.key, r.problems);
          this.remember(batch.partition, BigInt(m.offset), key, m.value);
          this.advance(batch.partition, BigInt(m.offset));
        }
        // compaction leaves gaps: the batch's last offset counts even when its record is gone
        this.advance(batch.partition, BigInt(batch.lastOffset()));
      },
    });
  }

  /**
   * Keeps, per key, the latest record's offset, and for recent offsets the record they replaced. Journey version
   * configs (`journey/<id>/v/<n>`, up to the API's body limit each) are written once and never rebased on: only
   * their offsets are kept, so this memory does not grow with the size of saved journeys.
   */
  private remember(partition: number, offset: bigint, key: string, record: Buffer | null): void {
    const value = parseConfigKey(key)?.version === undefined ? record : null;
    const prev = this.latest.get(key);
    this.predecessors.set(`${partition}:${offset}`, prev);
    if (this.predecessors.size > PREDECESSORS_KEPT) {
      const oldest = this.predecessors.keys().next().value;
      if (oldest !== undefined) this.predecessors.delete(oldest);
    }
    this.latest.set(key, { offset, value });
  }

  offsetOf(key: string): bigint | undefined {
    return this.latest.get(key)?.offset;
  }

  private advance(partition: number, offset: bigint): void {
    if ((this.applied.get(partition) ?? -1n) >= offset) return;
    this.applied.set(partition, offset);
    const still: Waiter[] = [];
    for (const w of this.waiters)
      if (w.partition === partition && w.offset <= offset) w.resolve();
      else still.push(w);
    this.waiters = still;
    this.checkReady();
  }

  private checkReady(): void {
    if (this.readyFlag) return;
    this.readyFlag = [...this.target].every(([p, o]) => (this.applied.get(p) ?? -1n) >= o);
    if (this.readyFlag) this.whenReadyResolve?.();
  }

  private whenReadyResolve: (() => void) | undefined;
  private readonly readyPromise = new Promise<void>((resolve) => (this.whenReadyResolve = resolve));

  isReady(): boolean {
    return this.readyFlag && !this.crashed;
  }

  /** Resolves once the start-up replay is complete. */
  whenReady(): Promise<void> {
    if (this.readyFlag) return Promise.resolve();
    return this.readyPromise;
  }

  async write(key: string, value: unknown, opts: { readonly visible?: boolean } = {}): Promise<WriteResult> {
    const [meta] = await this.producer.send({
      topic: this.opts.topic,
      acks: -1,
      // a journey record keeps every version: compression keeps it far below the broker's message size limit
      compression: CompressionTypes.GZIP,
      messages: [{ key, value: value === null ? null : JSON.stringify(value) }],
    });
    if (!meta?.baseOffset) throw opsCodes.error('CONFIG_WRITE_FAILED', `no offset for ${key} from the broker`);
    const offset = BigInt(meta.baseOffset);
    if (opts.visible === false) return { offset, previousOffset: undefined, previousValue: undefined };
    await this.visible(meta.partition, offset);
    const prev = this.predecessors.get(`${meta.partition}:${offset}`);
    return {
      offset,
      previousOffset: prev?.offset,
      previousValue: prev?.value ? parseOrUndefined(prev.value) : undefined,
    };
  }

  private visible(partition: number, offset: bigint): Promise<void> {
    if ((this.applied.get(partition) ?? -1n) >= offset) return Promise.resolve();
    const ms = this.opts.visibleTimeoutMs ?? 15_000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(opsCodes.error('CONFIG_VIEW_LAGGING', `write at offset ${offset} acked but not visible after ${ms} ms`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ partition, offset, resolve: done });
    });
  }

  async close(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}
