/**
 * The API's writer of `jo.controls`: one control record per request (today: a manual exit), keyed by profile key
 * and sent to the partition the events → profile repartition uses for that key (Java-compatible murmur2 over the
 * topic's partition count), so the task that owns the profile's state handles it. The engine makes a repeat
 * harmless: a second exit finds no running instance and is only counted.
 */
import { createKafka, partitionForKey, retryKafka, type Producer } from '../../topology/index.js';
import type { ControlRecord } from '../../schemas/index.js';
import { ApiError } from './errors.js';

/** Where a control record went. */
export interface ControlWrite {
  readonly partition: number;
  readonly offset: string;
}

/** What the profile routes need to steer one profile. */
export interface ProfileControls {
  /** Writes `record` for `profileKey`; resolves once the broker has it (acks=all). */
  write(profileKey: string, record: ControlRecord): Promise<ControlWrite>;
  close(): Promise<void>;
}

export interface KafkaProfileControlsOptions {
  readonly brokers: readonly string[];
  /** `<prefix>controls`. */
  readonly topic: string;
  readonly clientId?: string;
}

/** `ProfileControls` over the real topic; the partition count is read from the broker on first use. */
export class KafkaProfileControls implements ProfileControls {
  private partitions: number | undefined;
  private connected: Promise<void> | undefined;

  private constructor(
    private readonly opts: KafkaProfileControlsOptions,
    private readonly producer: Producer,
    private readonly partitionCount: () => Promise<number>,
  ) {}

  static open(opts: KafkaProfileControlsOptions): KafkaProfileControls {
    const kafka = createKafka({ brokers: opts.brokers, clientId: opts.clientId ?? 'jo-api-controls' });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    const partitionCount = async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const md = await retryKafka(() => admin.fetchTopicMetadata({ topics: [opts.topic] }));
        return md.topics[0]?.partitions.length ?? 0;
      } finally {
        await admin.disconnect();
      }
    };
    return new KafkaProfileControls(opts, producer, partitionCount);
  }

  async write(profileKey: string, record: ControlRecord): Promise<ControlWrite> {
    this.connected ??= this.producer.connect();
    await this.connected;
    // the topic is the pipeline's (created with the profile partition count); never guess its size
    this.partitions ??= await this.partitionCount().catch(() => 0);
    if (!this.partitions) {
      this.partitions = undefined;
      throw new ApiError('CONTROLS_UNAVAILABLE', `topic ${this.opts.topic} does not exist (yet)`);
    }
    const partition = partitionForKey(Buffer.from(profileKey, 'utf8'), this.partitions);
    const [meta] = await this.producer.send({
      topic: this.opts.topic,
      acks: -1,
      messages: [{ key: profileKey, value: JSON.stringify(record), partition }],
    });
    if (!meta?.baseOffset) throw new ApiError('CONTROLS_UNAVAILABLE', `no offset from the broker for ${profileKey}`);
    return { partition, offset: meta.baseOffset };
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}
