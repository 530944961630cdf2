/**
 * The durable throttle queue (issue 18, docs/governance.md → Throttling). A command of an action with `throttle`
 * is not called when the connector reads it from `<prefix>commands.<connector>`: it is moved, in the same Kafka
 * transaction that commits its command offset, to `<prefix>action-queue.<connector>`, keyed by action id. A second
 * consumer of the same connector (group `<groupId>-queue`, transactional id `<transactionalId>-queue`) reads that
 * queue in order, lets each command through the {@link ThrottleGate} at the action's rate, calls it, and commits its
 * result together with the queue offset. So a queued command lives only in Kafka until its result is committed:
 * a SIGKILL loses none, and repeats at most the calls of the open transaction (same `Idempotency-Key`, and the
 * attempt log makes the repeat count as the same command's next attempt).
 *
 * Keying by action id puts every command of one action in one queue partition, owned by one connector process at a
 * time: `perSecond` holds for the whole installation, however many connector processes run. Commands of actions
 * without `throttle` never enter the queue, so a long queue never holds them up.
 */
import type { ActionCommand, ActionResult, Throttle } from '../schemas/index.js';
import type { Admin, KafkaMessage, OutRecord } from '../topology/index.js';
import { toResult } from './action-executor.js';
import type { CommandHandler } from './command-consumer-options.js';
import { ConnectorCodes } from './errors.js';
import type { ThrottleGate } from './throttle-gate.js';

/** Finds the throttle of an action (its current config); undefined: not throttled. */
export type ThrottleLookup = (actionId: string) => Throttle | undefined;

/** Queued commands stay at least a week, far beyond the longest `maxDelay` (PT6H) plus a long outage. */
const QUEUE_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** Creates the queue topic when missing, with the command topic's partition count. */
export async function ensureQueueTopic(admin: Admin, commandTopic: string, queueTopic: string): Promise<void> {
  const meta = await admin.fetchTopicMetadata({ topics: [commandTopic] });
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: queueTopic,
        numPartitions: meta.topics[0]?.partitions.length ?? 1,
        configEntries: [{ name: 'retention.ms', value: String(QUEUE_RETENTION_MS) }],
      },
    ],
  });
}

/** The record that moves a command read from the command topic into its action's queue (the command's bytes). */
export function queueRecord(queueTopic: string, cmd: ActionCommand, m: KafkaMessage): OutRecord {
  return { topic: queueTopic, key: cmd.action, value: m.value };
}

/**
 * The queue consumer's handler: waits for the command's turn at its action's rate, then hands it to the
 * connector's own handler; a command that would wait past `maxDelay` gets a `capped` result without a call. An
 * action whose throttle was removed meanwhile is sent at once.
 */
export function throttledHandler(
  gate: ThrottleGate,
  throttleOf: ThrottleLookup,
  handle: CommandHandler,
): CommandHandler {
  return async (cmd, attempts) => {
    const t = throttleOf(cmd.action);
    if (!t) return handle(cmd, attempts);
    if ((await gate.admit(cmd, t, attempts.priorAttempts > 0)) === 'capped') return cappedResult(cmd, t, gate.now());
    return handle(cmd, {
      priorAttempts: attempts.priorAttempts,
      beforeAttempt: async (n) => {
        await attempts.beforeAttempt(n);
        await gate.pace(cmd.action, t.perSecond);
      },
    });
  };
}

function cappedResult(cmd: ActionCommand, t: Throttle, now: number): ActionResult {
  return toResult(
    cmd,
    {
      status: 'capped',
      attempts: 0,
      code: ConnectorCodes.throttleDelayExceeded,
      error: `would wait in the throttle queue of ${cmd.action} (${t.perSecond}/s) longer than maxDelay ${t.maxDelay}`,
    },
    now,
  );
}

/** The commands of a fetched queue batch, for the gate's depth and age (records that do not parse are skipped). */
export function queuedCommands(messages: readonly KafkaMessage[]): ActionCommand[] {
  const out: ActionCommand[] = [];
  for (const m of messages) {
    try {
      const c = JSON.parse(m.value?.toString() ?? 'null') as Partial<ActionCommand> | null;
      if (c && typeof c.commandId === 'string' && typeof c.action === 'string' && typeof c.createdAt === 'string')
        out.push(c as ActionCommand);
    } catch {
      // not a command: the consumer dead-letters it
    }
  }
  return out;
}
