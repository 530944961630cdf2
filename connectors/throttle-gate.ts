/**
 * The rule of the throttle queue (issue 18, docs/governance.md → Throttling): commands of a throttled action leave
 * the queue at `perSecond`, in queue order; a command that would have waited longer than `maxDelay` since it was
 * created (`createdAt`, or its `deadline` if that comes first) is not sent and gets a `capped` result.
 *
 * The queue itself is a Kafka topic (see throttle-queue.ts); this gate only paces what the queue consumer reads
 * from it and keeps `jo_action_queue_depth{action}` / `jo_action_queue_age_seconds{action}`. It holds nothing that
 * a restart needs: a new gate starts with a full burst and judges each command by its own `createdAt`, so after a
 * crash the commands that were queued keep their place and their age.
 */
import { parseDurationMs, type ActionCommand, type Throttle } from '../schemas/index.js';
import { noopMetrics, type Metrics } from '../topology/index.js';
import { TokenBucket } from './limits.js';
import { connectorMetrics } from './metric-catalogue.js';
import { systemTimer, type Timer } from '../topology/index.js';

export interface ThrottleGateOptions {
  readonly timer?: Timer;
  readonly metrics?: Metrics;
}

/** `send`: the command may go now; `capped`: it would wait past `maxDelay` (or its deadline) and must not. */
export type ThrottleVerdict = 'send' | 'capped';

/**
 * Paces the commands of throttled actions: a token bucket per action decides order and capping (burst: a quarter of
 * a second's worth, at least 1, so the pause between two committed chunks of the queue costs no rate), and
 * {@link ThrottleGate.pace} spaces the calls themselves 1/perSecond apart, so no second sees more than `perSecond`
 * calls leave. Called by the throttle queue's consumer only.
 */
export class ThrottleGate {
  private readonly timer: Timer;
  private readonly buckets = new Map<string, TokenBucket>();
  /** Per action: the earliest time the next call may leave (calls are spaced 1/perSecond apart). */
  private readonly nextCall = new Map<string, number>();
  /** Commands known to be in the queue and not yet sent or capped, per action: commandId → createdAt (ms). */
  private readonly queued = new Map<string, Map<string, number>>();
  private readonly depth;
  private readonly age;

  constructor(opts: ThrottleGateOptions = {}) {
    this.timer = opts.timer ?? systemTimer;
    const m = opts.metrics ?? noopMetrics;
    this.depth = m.gauge(connectorMetrics.queueDepth);
    this.age = m.gauge(connectorMetrics.queueAge);
  }

  /** The gate's clock (results of capped commands are stamped with it). */
  now(): number {
    return this.timer.now();
  }

  /** Notes commands read from the queue (a re-read of the same command counts once). */
  queue(cmds: ReadonlyArray<Pick<ActionCommand, 'commandId' | 'action' | 'createdAt'>>): void {
    for (const c of cmds) {
      let q = this.queued.get(c.action);
      if (!q) this.queued.set(c.action, (q = new Map<string, number>()));
      q.set(c.commandId, Date.parse(c.createdAt));
    }
    this.refreshMetrics();
  }

  /** Forgets every queued command: the queue's partitions moved, what is still queued is read again. */
  forget(): void {
    for (const q of this.queued.values()) q.clear();
    this.refreshMetrics();
  }

  /**
   * Waits for `cmd`'s turn. `mustSend` (an earlier incarnation already called it) waits for a token however long:
   * a command whose call was made is never reported as not attempted.
   */
  async admit(cmd: ActionCommand, throttle: Throttle, mustSend = false): Promise<ThrottleVerdict> {
    this.queue([cmd]);
    const bucket = this.bucket(cmd.action, throttle.perSecond);
    const until = Math.min(
      Date.parse(cmd.createdAt) + (parseDurationMs(throttle.maxDelay) ?? 0),
      Date.parse(cmd.deadline),
    );
    const ok = await bucket.take(mustSend ? Number.POSITIVE_INFINITY : until - this.timer.now());
    this.queued.get(cmd.action)?.delete(cmd.commandId);
    this.refreshMetrics();
    return ok ? 'send' : 'capped';
  }

  /**
   * Called after a call's attempt was recorded, just before it is sent: spaces the calls of an action at least
   * 1/perSecond apart. The bucket decides order and capping; the durable attempt record written between taking a
   * token and sending (one produce request for all calls waiting meanwhile) would otherwise release calls in
   * bunches, and an endpoint would see more than `perSecond` in some second. Retries are spaced too.
   */
  async pace(action: string, perSecond: number): Promise<void> {
    const now = this.timer.now();
    const at = Math.max(now, this.nextCall.get(action) ?? now);
    this.nextCall.set(action, at + 1000 / perSecond);
    if (at > now) await new Promise<void>((resolve) => void this.timer.after(at - now, resolve));
  }

  /** Depth and age of each action's queue as this process sees it (the gauges' values). */
  snapshot(): Record<string, { depth: number; ageSeconds: number }> {
    const now = this.timer.now();
    const out: Record<string, { depth: number; ageSeconds: number }> = {};
    for (const [action, q] of this.queued) {
      let oldest = now;
      for (const t of q.values()) oldest = Math.min(oldest, t);
      out[action] = { depth: q.size, ageSeconds: q.size === 0 ? 0 : Math.max(0, (now - oldest) / 1000) };
    }
    return out;
  }

  /** Sets the gauges; the queue consumer also calls it every second so that the age keeps growing while stuck. */
  refreshMetrics(): void {
    for (const [action, s] of Object.entries(this.snapshot())) {
      this.depth.set({ action }, s.depth);
      this.age.set({ action }, s.ageSeconds);
    }
  }

  private bucket(action: string, perSecond: number): TokenBucket {
    let b = this.buckets.get(action);
    if (!b || b.perSecond !== perSecond) {
      b = new TokenBucket(perSecond, Math.max(1, Math.floor(perSecond / 4)), this.timer);
      this.buckets.set(action, b);
    }
    return b;
  }
}
