/**
 * Where a fetched record's time goes inside the Kafka adapter, for whoever measures it (the engine benchmark's
 * per-hop trace, `BENCH_TRACE=1`): every group consumer the adapter builds publishes, on two `node:diagnostics_channel`
 * channels, each fetch (how long kafkajs' fetch took, how long since the previous one ended) and each batch handed
 * to `eachBatch` (the batch itself, when its fetch ended, when kafkajs handed it over). Nothing is built or
 * published while a channel has no subscriber. Subscribers run synchronously on the fetch path: keep them cheap.
 */
import { channel } from 'node:diagnostics_channel';
import type * as KafkaJs from 'kafkajs';

/** One fetch of a group consumer: kafkajs' own timestamps (epoch ms). */
export interface FetchDiagnostic {
  readonly groupId: string;
  /** When the fetch ended (the response decoded). */
  readonly endedAt: number;
  readonly durationMs: number;
  /** From the end of the previous fetch of this consumer to the start of this one (its batches' handling). */
  readonly sincePreviousMs: number | undefined;
}

/** One batch handed to `eachBatch`. */
export interface BatchDiagnostic {
  readonly groupId: string;
  readonly batch: KafkaJs.Batch;
  /** When the fetch that brought it ended (epoch ms, kafkajs' timestamp). */
  readonly fetchedAt: number | undefined;
  /** When kafkajs started processing it (epoch ms, kafkajs' timestamp), just before `eachBatch`. */
  readonly handedAt: number | undefined;
}

export const KAFKA_FETCH_CHANNEL = 'topology.kafka.fetch';
export const KAFKA_BATCH_CHANNEL = 'topology.kafka.batch';
const fetches = channel(KAFKA_FETCH_CHANNEL);
const batches = channel(KAFKA_BATCH_CHANNEL);

type EachBatch = NonNullable<KafkaJs.ConsumerRunConfig['eachBatch']>;

/** Makes `consumer` publish its fetches and batches (see the module comment); returns it. */
export function observeConsumer<C extends KafkaJs.Consumer>(consumer: C, groupId: string): C {
  let fetchStart: number | undefined;
  let fetchedAt: number | undefined;
  let handedAt: number | undefined;
  consumer.on(consumer.events.FETCH_START, (e) => void (fetchStart = e.timestamp));
  consumer.on(consumer.events.FETCH, (e) => {
    const previous = fetchedAt;
    fetchedAt = e.timestamp;
    if (!fetches.hasSubscribers) return;
    const sincePreviousMs = previous === undefined || fetchStart === undefined ? undefined : fetchStart - previous;
    const d: FetchDiagnostic = { groupId, endedAt: e.timestamp, durationMs: e.payload.duration, sincePreviousMs };
    fetches.publish(d);
  });
  consumer.on(consumer.events.START_BATCH_PROCESS, (e) => void (handedAt = e.timestamp));
  const run = consumer.run.bind(consumer);
  consumer.run = (cfg?: KafkaJs.ConsumerRunConfig) => {
    const eachBatch = cfg?.eachBatch;
    if (!eachBatch) return run(cfg);
    const observed: EachBatch = (payload) => {
      if (batches.hasSubscribers) {
        const d: BatchDiagnostic = { groupId, batch: payload.batch, fetchedAt, handedAt };
        batches.publish(d);
      }
      return eachBatch(payload);
    };
    return run({ ...cfg, eachBatch: observed });
  };
  return consumer;
}
