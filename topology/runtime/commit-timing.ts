/**
 * When a task commits (under exactly-once each commit is a transaction: its outputs become visible downstream only
 * then). Three triggers:
 *
 * - **The interval, on the wall-clock grid**: due at the next multiple of the interval since the epoch, so the
 *   tasks of a process (and of every process with the same interval) commit together. What a first hop writes then
 *   reaches the tasks reading its repartition topic in one burst per interval, not one per upstream task at a
 *   random phase.
 * - **A hop**: a record read from one of the app's own repartition topics was committed upstream a moment ago; the
 *   task commits `hopDelayMs` after the first such record instead of at the next tick, so an event going through two
 *   hops waits out one interval, not two. The short delay gathers the rest of the upstream burst into the same
 *   transaction; a hop commit is armed at most once per interval, so a task makes at most two commits per interval. (Kafka Streams commits
 *   all of a thread's tasks in one transaction per interval, so its second hop waits for the next one.)
 * - **Eager** (optional): a task that has caught up commits at once.
 */
import type { Clock } from '../api/clock.js';
import type { TaskRunnerOptions } from './task-runner-options.js';

export interface CommitTimingOptions {
  readonly intervalMs: number;
  readonly eager: boolean;
  /** The app's repartition topics this task reads. */
  readonly hopTopics: ReadonlySet<string>;
  /** Undefined: records from repartition topics wait for the interval like any other. */
  readonly hopDelayMs: number | undefined;
}

/** The timing of a task of `subTopology`: its repartition inputs are those of its sources that are repartition steps. */
export function taskCommitTiming(o: TaskRunnerOptions): CommitTiming {
  const sources = o.topology.subTopologies[o.subTopology]?.sources ?? [];
  const hops = sources.filter((n) => n.repartition).flatMap((n) => o.topology.topicsOf(n, o.applicationId));
  const hopDelayMs = o.hopCommitDelayMs === false ? undefined : (o.hopCommitDelayMs ?? 10);
  return new CommitTiming({
    intervalMs: o.commitIntervalMs,
    eager: o.eagerCommit,
    hopTopics: new Set(hops),
    hopDelayMs,
  });
}

export class CommitTiming {
  private hopDue = Infinity;
  /** The interval (index on the grid) in which the last hop commit was armed: at most one per interval. */
  private hopInterval = -1;

  constructor(private readonly o: CommitTimingOptions) {}

  /**
   * A record of `topic` was processed (now, by `clock`). A hop commit is armed at most once per interval: under
   * load the task works through an upstream burst for a while, and arming again for each record processed after
   * the hop commit started would commit back to back (many small transactions, as eager commits do); the rest of
   * the burst goes into the tick's commit.
   */
  processed(topic: string, clock: Clock): void {
    if (this.hopDue !== Infinity || this.o.hopDelayMs === undefined || !this.o.hopTopics.has(topic)) return;
    const now = clock.now();
    const interval = Math.floor(now / this.o.intervalMs);
    if (interval === this.hopInterval) return;
    this.hopInterval = interval;
    this.hopDue = now + this.o.hopDelayMs;
  }

  /** When the next commit is due (eager aside), the last one having started at `lastCommit`. */
  nextDue(lastCommit: number): number {
    const tick = (Math.floor(lastCommit / this.o.intervalMs) + 1) * this.o.intervalMs;
    return Math.min(tick, this.hopDue);
  }

  /** Whether to commit now; `caughtUp`: nothing queued and something to commit. */
  due(now: number, lastCommit: number, caughtUp: boolean): boolean {
    return (this.o.eager && caughtUp) || now >= this.nextDue(lastCommit);
  }

  /** A commit started: what was processed so far is in it. */
  started(): void {
    this.hopDue = Infinity;
  }
}
