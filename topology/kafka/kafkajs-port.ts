/**
 * The port on kafkajs: the pieces `createKafka` adds to kafkajs' own objects so that they implement the port's
 * interfaces (port-client.ts) — assigners converted to kafkajs' protocol, consumer events as listeners, group
 * members with their user data, the transactional producer. kafkajs' objects are extended, not wrapped, so tests
 * that need a raw kafkajs call (a zombie's `transaction()`) can still make it on the same client.
 */
import type * as KafkaJs from 'kafkajs';
import { createRequire } from 'node:module';
import type { GroupAssigner, GroupConsumer, KafkaAdmin } from './port-client.js';
import { kafkaErrorType, retryKafka } from './kafka-retry.js';

const require = createRequire(import.meta.url);
const { AssignerProtocol } = require('kafkajs') as typeof KafkaJs;

/** Our assigner as kafkajs' `PartitionAssigner`: user data in the member metadata, assignments encoded. */
export function toKafkaJsAssigner(a: GroupAssigner): KafkaJs.PartitionAssigner {
  return ({ cluster }) => ({
    name: a.name,
    version: a.version,
    protocol: ({ topics }) => ({
      name: a.name,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: a.version, topics, userData: a.userData() }),
    }),
    assign: async ({ members, topics }) => {
      const partitions = new Map(
        topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).map((p) => p.partitionId)] as const),
      );
      const byMember = await a.assign(
        members.map((m) => ({ memberId: m.memberId, userData: memberUserData(m.memberMetadata) })),
        partitions,
      );
      return [...byMember].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: a.version,
          assignment: { ...assignment },
          userData: Buffer.alloc(0),
        }),
      }));
    },
  });
}

/** The user data in a member's metadata (empty when none or undecodable). */
export function memberUserData(metadata: Buffer): Buffer {
  try {
    return AssignerProtocol.MemberMetadata.decode(metadata)?.userData ?? Buffer.alloc(0);
  } catch {
    return Buffer.alloc(0);
  }
}

/** kafkajs' consumer options from ours (assigners converted). */
export function toKafkaJsConsumerConfig(opts: KafkaJs.ConsumerConfig | PortConsumerConfig): KafkaJs.ConsumerConfig {
  const assigners = opts.partitionAssigners as ReadonlyArray<GroupAssigner | KafkaJs.PartitionAssigner> | undefined;
  if (!assigners) return opts as KafkaJs.ConsumerConfig;
  return {
    ...(opts as KafkaJs.ConsumerConfig),
    partitionAssigners: assigners.map((a) => (typeof a === 'function' ? a : toKafkaJsAssigner(a))),
  };
}

type PortConsumerConfig = import('./port-client.js').ConsumerOptions;

/**
 * Adds the port's event listeners to a kafkajs consumer, and retries its `subscribe` while the broker does not
 * know a topic yet: kafkajs fails a subscription at once on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker under
 * load still answers for a moment after creating the topic (an engine starting on a fresh broker then failed).
 */
export function asGroupConsumer<C extends KafkaJs.Consumer>(c: C): C & GroupConsumer {
  const subscribe = c.subscribe.bind(c);
  const ext: Pick<GroupConsumer, 'onGroupJoin' | 'onRebalancing' | 'onCrash' | 'onBatchEnd'> &
    Pick<KafkaJs.Consumer, 'subscribe'> = {
    subscribe: (subscription) =>
      retryKafka(() => subscribe(subscription), {
        // ~9 s in all (200 ms × attempt): propagation takes a moment; a topic that really is missing fails soon
        attempts: 10,
        when: (err) => kafkaErrorType(err) === 'UNKNOWN_TOPIC_OR_PARTITION',
      }),
    onGroupJoin: (l) =>
      void c.on(c.events.GROUP_JOIN, (e) =>
        l({ memberId: e.payload.memberId, memberAssignment: e.payload.memberAssignment }),
      ),
    onRebalancing: (l) => void c.on(c.events.REBALANCING, () => l()),
    onCrash: (l) => void c.on(c.events.CRASH, (e) => l({ error: e.payload.error, restart: e.payload.restart })),
    onBatchEnd: (l) =>
      void c.on(c.events.END_BATCH_PROCESS, (e) =>
        l({ topic: e.payload.topic, partition: e.payload.partition, lastOffset: e.payload.lastOffset }),
      ),
  };
  return Object.assign(c, ext);
}

type FetchOffsetsOptions = Parameters<KafkaJs.Admin['fetchOffsets']>[0] & { readonly stableWaitMs?: number };

/**
 * Adds `describeGroupMembers` to a kafkajs admin, and to its `fetchOffsets` the wait for stable offsets
 * (`requireStable`: the patched kafkajs sends OffsetFetch v7; see `stableOffsets`).
 */
export function asKafkaAdmin<A extends KafkaJs.Admin>(admin: A): A & KafkaAdmin {
  const fetchOffsets = admin.fetchOffsets.bind(admin);
  const ext: Pick<KafkaAdmin, 'describeGroupMembers'> & { fetchOffsets: A['fetchOffsets'] } = {
    fetchOffsets: ({ stableWaitMs, ...o }: FetchOffsetsOptions) =>
      o.requireStable ? stableOffsets(o, stableWaitMs, () => fetchOffsets(o)) : fetchOffsets(o),
    describeGroupMembers: async (groupId) => {
      const { groups } = await admin.describeGroups([groupId]);
      return (groups[0]?.members ?? []).map((m) => ({
        memberId: m.memberId,
        userData: memberUserData(m.memberMetadata),
      }));
    },
  };
  return Object.assign(admin, ext);
}

/**
 * kafkajs' round-robin assignment (members sorted by id, every subscribed partition in turn) with `userData` in
 * each member's subscription.
 */
export function roundRobinAssigner(userData: Buffer): GroupAssigner {
  return {
    name: 'RoundRobinAssigner',
    version: 0,
    userData: () => userData,
    assign: (members, partitions) => {
      const sorted = members.map((m) => m.memberId).sort();
      const out = new Map<string, Record<string, number[]>>();
      let i = 0;
      for (const [topic, ids] of partitions)
        for (const p of ids) {
          const member = sorted[i++ % sorted.length];
          if (member === undefined) continue;
          let a = out.get(member);
          if (!a) out.set(member, (a = {}));
          (a[topic] ??= []).push(p);
        }
      return Promise.resolve(out);
    },
  };
}

/** How long a `requireStable` offset fetch waits for open transactions by default: their default timeout. */
export const STABLE_OFFSETS_WAIT_MS = 60_000;
const UNSTABLE = 'UNSTABLE_OFFSET_COMMIT';

/** Wait before retry `attempt + 1` of a fetch answered UNSTABLE_OFFSET_COMMIT: 20 ms doubling, at most 500 ms. */
export function unstableOffsetsDelayMs(attempt: number): number {
  return Math.min(20 * 2 ** (attempt - 1), 500);
}

/** Calls in all (the first included) whose waits add up to at least `waitMs`. */
export function unstableOffsetsAttempts(waitMs: number): number {
  let attempts = 1;
  for (let waited = 0; waited < waitMs; attempts++) waited += unstableOffsetsDelayMs(attempts);
  return attempts;
}

/**
 * A `requireStable` offset fetch: while a transaction holding offsets of one of the partitions for the group is
 * open, the coordinator answers UNSTABLE_OFFSET_COMMIT (retriable) instead of the last committed offset. Retried
 * until the transaction ends (commit, abort, or the broker's transaction timeout); after `waitMs` the error is
 * thrown with a message that says what was waited for (its `type` stays UNSTABLE_OFFSET_COMMIT, `retriable` true).
 */
async function stableOffsets<T>(
  o: { readonly groupId: string; readonly topics?: string[]; readonly partitions?: readonly number[] },
  waitMs: number = STABLE_OFFSETS_WAIT_MS,
  fetch: () => Promise<T>,
): Promise<T> {
  try {
    return await retryKafka(fetch, {
      attempts: unstableOffsetsAttempts(waitMs),
      when: (err) => kafkaErrorType(err) === UNSTABLE,
      delayMs: unstableOffsetsDelayMs,
    });
  } catch (err) {
    if (kafkaErrorType(err) !== UNSTABLE) throw err;
    const topics =
      (o.topics?.length ? o.topics.join(', ') : 'every topic') +
      (o.partitions ? ` (partitions ${o.partitions.join(', ')})` : '');
    throw Object.assign(
      new Error(
        `group ${o.groupId}: the offsets of ${topics} were still unstable after ${waitMs} ms (${UNSTABLE}: a ` +
          'transaction holding offsets for them is open; it ends by commit, abort, or the transaction timeout)',
        { cause: err },
      ),
      { type: UNSTABLE, retriable: true },
    );
  }
}
