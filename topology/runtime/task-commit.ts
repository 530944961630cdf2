/** Helpers of a task's commit: produce requests, changelog end offsets, at-least-once sends. */
import type { ProduceResult, TransactionalProducer, TransactionalProducerFactory } from '../kafka/port.js';
import type { TaskRunnerOptions } from './task-runner-options.js';
import { taskCommitter, type Committer } from './transaction-pipeline.js';
import type { Admin, Producer } from '../kafka/kafka-client.js';
import type { ProducerMessage } from '../kafka/port-client.js';

type TopicMessages = { topic: string; messages: ProducerMessage[] };
import type { OutgoingRecord } from './task.js';
import { MAX_REQUEST_BYTES, outRecordBytes, splitBySize } from './transaction-committer.js';

function toTopicMessages(outs: readonly OutgoingRecord[]): TopicMessages[] {
  const by = new Map<string, ProducerMessage[]>();
  for (const r of outs) {
    let msgs = by.get(r.topic);
    if (!msgs) by.set(r.topic, (msgs = []));
    msgs.push({
      key: r.key,
      value: r.value,
      headers: { ...r.headers },
      timestamp: String(r.timestamp),
      ...(r.partition === undefined ? {} : { partition: r.partition }),
    });
  }
  return [...by].map(([topic, messages]) => ({ topic, messages }));
}

/** A commit's outputs in produce requests of at most `maxBytes`. */
export function requestChunks(outs: readonly OutgoingRecord[], maxBytes = MAX_REQUEST_BYTES): OutgoingRecord[][] {
  return splitBySize(outs, outRecordBytes, maxBytes);
}

/**
 * Next offset of each changelog topic (this task's partition) after a commit: per produce request, in order, the
 * request's base offset for that partition plus its count of records there; the last request wins.
 */
export function changelogEnds(
  outs: ReadonlyArray<{ readonly topic: string }>,
  requests: ReadonlyArray<{ readonly records: readonly unknown[]; readonly results: readonly ProduceResult[] }>,
  changelogs: ReadonlySet<string>,
  partition: number,
): Map<string, number> {
  const ends = new Map<string, number>();
  let at = 0;
  for (const req of requests) {
    const counts = new Map<string, number>();
    for (let i = at; i < at + req.records.length; i++) {
      const r = outs[i];
      if (r && changelogs.has(r.topic)) counts.set(r.topic, (counts.get(r.topic) ?? 0) + 1);
    }
    at += req.records.length;
    for (const res of req.results) {
      const n = counts.get(res.topic);
      if (n !== undefined && res.partition === partition && res.baseOffset !== undefined)
        ends.set(res.topic, Number(res.baseOffset) + n);
    }
  }
  return ends;
}

/**
 * At-least-once: sends a commit's outputs through the shared idempotent producer in size-bounded requests; returns
 * the next offset of each changelog topic written (see `changelogEnds`). Input offsets are committed by the caller.
 */
export async function sendAtLeastOnce(
  producer: Producer,
  outs: readonly OutgoingRecord[],
  changelogs: ReadonlySet<string>,
  partition: number,
): Promise<Map<string, number>> {
  const ends = new Map<string, number>();
  for (const chunk of requestChunks(outs)) {
    const res = await producer.sendBatch({ topicMessages: toTopicMessages(chunk), acks: -1 });
    const results = res.map((r) => ({ topic: r.topicName, partition: r.partition, baseOffset: r.baseOffset }));
    const sent = [{ records: chunk, results }];
    for (const [t, end] of changelogEnds(chunk, sent, changelogs, partition)) ends.set(t, end);
  }
  return ends;
}

/**
 * Where each input topic's partition starts: the group's committed offset, else the earliest or latest offset
 * (`autoOffsetReset`). `requireStable`: offsets still in an open transaction (of a previous owner not fenced by
 * transactional id) are waited for, not read as they were before it.
 */
export async function committedStarts(
  admin: Admin,
  groupId: string,
  inputs: readonly string[],
  partition: number,
  autoOffsetReset: 'earliest' | 'latest',
  requireStable = false,
): Promise<Array<[string, string]>> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...inputs], partitions: [partition], requireStable });
  const starts: Array<[string, string]> = [];
  for (const topic of inputs) {
    const c = committed.find((t) => t.topic === topic)?.partitions.find((p) => p.partition === partition);
    let offset = c && c.offset !== '-1' ? c.offset : undefined;
    if (offset === undefined) {
      const ends = await admin.fetchTopicOffsets(topic);
      const e = ends.find((p) => p.partition === partition);
      offset = (autoOffsetReset === 'earliest' ? e?.low : e?.high) ?? '0';
    }
    starts.push([topic, offset]);
  }
  return starts;
}

/**
 * Exactly-once: the committer of a task being started, and the producers it opened. On the process's shared
 * transactions, none: the previous owner of the task is fenced by the group generation of its offset commits
 * (KIP-447) and its open transaction is waited for when offsets are read (`requireStable`). Otherwise the task's own
 * producer, and a second one for a task without stores that pipelines its commits (transaction-pipeline.ts): both
 * ids are initialised here, so a previous owner's transactions on either are settled before offsets are read.
 */
export async function openTaskCommitter(
  o: TaskRunnerOptions,
  taskId: string,
): Promise<{ committer: Committer; producers: TransactionalProducer[] }> {
  if (o.sharedTransactions) return { committer: o.sharedTransactions.committerFor(taskId), producers: [] };
  const factory: TransactionalProducerFactory | undefined = o.producers;
  if (!factory) throw new Error(`task ${taskId}: exactly-once needs a transactional producer factory`);
  const id = `${o.applicationId}-${taskId}`;
  const stateless = (o.topology.subTopologies[o.subTopology]?.stores ?? []).length === 0;
  const ids = o.pipelinedCommits && stateless ? [id, `${id}-b`] : [id];
  const producers = ids.map((transactionalId) => factory({ transactionalId }));
  for (const p of producers) await p.connect();
  return { committer: taskCommitter(producers, o.applicationId), producers };
}
