/**
 * kafkajs' log lines, through the process's logger. A broker that has just started (or a group that rebalances)
 * makes kafkajs log errors that sort themselves out in seconds: "not the leader", "coordinator is loading",
 * "Crash … Restarting the consumer" for those causes, a rebalance, a broker restarting. They go out at `debug` — unless the same kind
 * keeps coming for `persistMs`, which is a real problem; then they go out at their own level.
 */
import type { KafkaLogLevel, KafkaLogSink } from '../topology/index.js';
import type { Logger } from './logger.js';

/** Transient kinds, by what the line (message and error) says. */
const TRANSIENT: ReadonlyArray<readonly [kind: string, pattern: RegExp]> = [
  ['leader', /not the leader|leader(ship)? (election|not available)|no leader for|NOT_LEADER/i],
  ['coordinator', /coordinator is (loading|not available)|not the correct coordinator|COORDINATOR_(LOAD|NOT)/i],
  ['rebalance', /rebalanc/i],
  // a member rejoining with the id it had before a restart, which a fresh or restarted coordinator no longer knows:
  // kafkajs joins again with a new id at once
  ['member', /not aware of this member|UNKNOWN_MEMBER_ID/i],
  // the coordinator still finishing the transaction of this transactional id's previous producer (a restart, a
  // fenced task): the server expects the client to retry, and a failed commit is rolled back and retried by the task
  ['transaction', /concurrent operation on the same transaction|CONCURRENT_TRANSACTIONS/i],
  ['metadata', /UNKNOWN_TOPIC_OR_PARTITION|does not host this topic-partition/i],
  // a task taking over a partition waits for the previous owner's open transaction (require-stable offset fetch,
  // retried by the admin until it ends)
  ['unstable-offsets', /unstable offsets|UNSTABLE_OFFSET_COMMIT/i],
  // the follow-up of a crash: the crash line itself says whether its cause was transient
  ['restart', /Restarting the consumer/i],
  // parallel start-up creating the same topic; the caller handles TOPIC_ALREADY_EXISTS
  ['topic-creation', /Topic creation errors|TOPIC_ALREADY_EXISTS/i],
  // a request handed to a socket that is being closed (a disconnect at shutdown, a connection kafkajs replaces):
  // connection errors are retried on a new connection; one that keeps coming is a real problem and is logged
  ['connection-closing', /write after end|ERR_STREAM_WRITE_AFTER_END/i],
  // the broker restarting or briefly unreachable: every client retries each connection, and a 15 s restart made
  // ~300 error lines; the engine's own lines (consumer crashed, /readyz 503) say it, and one that lasts is logged
  ['broker-unreachable', /ECONNREFUSED|ECONNRESET|Failed to connect to seed broker|Connection timeout/i],
];

export interface KafkaLogOptions {
  /** How long one kind of transient line may keep coming before it is logged at its own level (30 s). */
  readonly persistMs?: number;
  /** A kind not seen for this long starts over (30 s). */
  readonly quietMs?: number;
  readonly now?: () => number;
}

/** The kind of transient start-up line this is, if it is one. */
export function transientKind(message: string, extra: Record<string, unknown>): string | undefined {
  const text = `${message} ${typeof extra['error'] === 'string' ? extra['error'] : JSON.stringify(extra['error'] ?? '')}`;
  return TRANSIENT.find(([, pattern]) => pattern.test(text))?.[0];
}

/** A kafkajs log sink for `logger` that keeps transient start-up noise below warn unless it persists. */
export function kafkaLogSink(logger: Logger, opts: KafkaLogOptions = {}): KafkaLogSink {
  const persistMs = opts.persistMs ?? 30_000;
  const quietMs = opts.quietMs ?? 30_000;
  const now = opts.now ?? (() => Date.now());
  const streaks = new Map<string, { since: number; last: number }>();
  return (level, message, extra) => {
    const kind = transientKind(message, extra);
    let out: KafkaLogLevel | 'debug' = level;
    if (kind !== undefined) {
      const t = now();
      const streak = streaks.get(kind);
      const current = streak && t - streak.last <= quietMs ? { since: streak.since, last: t } : { since: t, last: t };
      streaks.set(kind, current);
      const persisting = t - current.since >= persistMs;
      out = persisting ? level : 'debug';
      if (persisting) extra = { ...extra, persistingForMs: t - current.since };
    }
    if (out === 'nothing') return;
    logger[out]({ src: 'kafkajs', ...extra }, message);
  };
}
