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

/** Two releases of one action are at least this fraction of its interval apart. */
const MIN_GAP = 0.5;

/**
 * How much the time a request takes to reach the endpoint may vary (sender or receiver not scheduled, a connection
 * opened) while the endpoint still sees no more than the rate's ceiling in any of its seconds (see {@link pacedRate}).
 */
export const TRANSIT_ALLOWANCE_MS = 200;

/** The most calls an endpoint may see in one second for `perSecond`: its +10% (at least one more than the rate). */
export function throttleCeiling(perSecond: number): number {
  return Math.max(Math.floor(perSecond) + 1, Math.floor(perSecond * 1.1));
}

/**
 * The rate the gate sends a throttled action at. An endpoint counts calls by its own clock, which sees each call
 * later than it left by the transit time; when that varies by up to `allowanceMs`, the calls in one of its seconds
 * left within `1 s + allowanceMs`. So the gate sends at most {@link throttleCeiling} calls in any `1 s + allowanceMs`
 * (and at most `perSecond` in any second of its own): at 50/s, 55 per 1.2 s, 45.8/s sustained — within −10% of the
 * rate, and never above +10% at the endpoint while the transit time varies by no more than 200 ms.
 */
export function pacedRate(perSecond: number, allowanceMs = TRANSIT_ALLOWANCE_MS): number {
  return Math.min(perSecond, throttleCeiling(perSecond) / (1 + allowanceMs / 1000));
}

interface Pacing {
  /** When the next call is due on the schedule (one interval after the last one's due time). */
  planned: number;
  /** When the last call was released. */
  last: number;
  /** Calls waiting in {@link ThrottleGate.pace} for their release. */
  waiting: number;
  /** Ms between two releases on the schedule: 1 / the {@link pacedRate}. */
  readonly interval: number;
  /** The release times of the last {@link throttleCeiling} calls. */
  readonly window: ReleaseWindow;
}

/** The last `size` release times, oldest first (a ring). */
class ReleaseWindow {
  private readonly times: number[] = [];
  private head = 0;

  constructor(readonly size: number) {}

  push(t: number): void {
    if (this.times.length < this.size) this.times.push(t);
    else {
      this.times[this.head] = t;
      this.head = (this.head + 1) % this.size;
    }
  }

  /** The `n`-th latest release (1: the last one; `n` ≤ size), or -Infinity while fewer were released. */
  latest(n: number): number {
    if (this.times.length < n) return -Infinity;
    const newest = this.times.length < this.size ? this.times.length - 1 : this.head - 1;
    return this.times[(newest - (n - 1) + 2 * this.size) % this.size] ?? -Infinity;
  }
}

export interface ThrottleGateOptions {
  readonly timer?: Timer;
  readonly metrics?: Metrics;
  /** Transit-time variation the pacing leaves room for (default {@link TRANSIT_ALLOWANCE_MS}); see {@link pacedRate}. */
  readonly transitAllowanceMs?: number;
}

/** `send`: the command may go now; `capped`: it would wait past `maxDelay` (or its deadline) and must not. */
export type ThrottleVerdict = 'send' | 'capped';

/**
 * Paces the commands of throttled actions: a token bucket per action decides order and capping (at the
 * {@link pacedRate}; burst: a quarter of a second's worth, at least 1), and {@link ThrottleGate.pace} spaces the calls
 * themselves, so that no second sees more than `perSecond` calls leave and no endpoint second more than the
 * {@link throttleCeiling} arrive. Called by the throttle queue's consumer only.
 */
export class ThrottleGate {
  private readonly timer: Timer;
  private readonly buckets = new Map<string, TokenBucket>();
  /** Per action: the release schedule of its calls (see {@link ThrottleGate.pace}). */
  private readonly pacings = new Map<string, Pacing>();
  private readonly paced = new Map<string, Promise<void>>();
  /** Commands known to be in the queue and not yet sent or capped, per action: commandId → createdAt (ms). */
  private readonly queued = new Map<string, Map<string, number>>();
  /** Per action: records still in the queue topic beyond the fetched batch (see throttle-queue-depth.ts). */
  private unreadNow: ReadonlyMap<string, number> = new Map();
  private readonly depth;
  private readonly age;
  private readonly allowanceMs: number;

  constructor(opts: ThrottleGateOptions = {}) {
    this.timer = opts.timer ?? systemTimer;
    this.allowanceMs = opts.transitAllowanceMs ?? TRANSIT_ALLOWANCE_MS;
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

  /** The records of each action not fetched yet; the depth gauge adds them to the fetched ones. */
  setUnread(unread: ReadonlyMap<string, number>): void {
    this.unreadNow = unread;
    for (const a of unread.keys()) if (!this.queued.has(a)) this.queued.set(a, new Map());
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
    // the calls admitted earlier and still waiting for their release go first: a command that would leave after
    // `until` behind them is capped now rather than sent late
    const budget = mustSend ? Number.POSITIVE_INFINITY : until - this.timer.now() - this.paceBacklogMs(cmd.action);
    // already past maxDelay (or its deadline): capped even when a token is free (the bucket would hand it out)
    const ok = budget >= 0 && (await bucket.take(budget));
    this.queued.get(cmd.action)?.delete(cmd.commandId);
    this.refreshMetrics();
    return ok ? 'send' : 'capped';
  }

  /**
   * Called after a call's attempt was recorded, just before it is sent: releases the calls of an action at the
   * {@link pacedRate}. The bucket decides order and capping; the durable attempt record written between taking a
   * token and sending (one produce request for all calls waiting meanwhile) would otherwise release calls in bunches,
   * and an endpoint would see more than the rate in some second. Retries are paced too.
   *
   * Three rules hold for the releases of one action, by construction: never more than `perSecond` in any sliding
   * second; never more than the {@link throttleCeiling} in any `1 s + transitAllowanceMs` (what keeps the endpoint's
   * seconds within +10% while transit times vary by up to the allowance); and never two closer than {@link MIN_GAP}
   * of the interval. Within those rules a late timer is caught up, so lateness costs little rate.
   */
  pace(action: string, perSecond: number): Promise<void> {
    // One chain per action: after an event-loop stall the calls that were due go one by one, not all at once.
    const p = this.pacing(action, perSecond);
    p.waiting++;
    const mine = (this.paced.get(action) ?? Promise.resolve()).then(async () => {
      const interval = p.interval;
      const at = Math.max(
        p.planned,
        p.last + MIN_GAP * interval,
        p.window.latest(Math.max(1, Math.floor(perSecond))) + 1000,
        p.window.latest(p.window.size) + 1000 + this.allowanceMs,
      );
      const wait = at - this.timer.now();
      if (wait > 0) await new Promise<void>((resolve) => void this.timer.after(wait, resolve));
      const sentAt = this.timer.now();
      p.waiting--;
      p.window.push(sentAt);
      p.last = sentAt;
      // a timer a little late (up to 50 ms or half a slot) keeps the schedule, caught up at MIN_GAP; later than
      // that (a stall, an idle queue) the schedule starts again from now: time lost to a stall is not made up
      const keep = sentAt - p.planned <= Math.max(interval / 2, 50);
      p.planned = (keep ? p.planned : sentAt) + interval;
    });
    this.paced.set(action, mine);
    return mine;
  }

  /** How long a call paced now would wait behind the ones already waiting for their release. */
  private paceBacklogMs(action: string): number {
    const p = this.pacings.get(action);
    if (!p) return 0;
    return Math.max(0, p.planned - this.timer.now()) + p.waiting * p.interval;
  }

  private pacing(action: string, perSecond: number): Pacing {
    let p = this.pacings.get(action);
    const size = throttleCeiling(perSecond);
    if (!p || p.window.size !== size) {
      const interval = 1000 / pacedRate(perSecond, this.allowanceMs);
      p = { planned: 0, last: -Infinity, waiting: 0, interval, window: new ReleaseWindow(size) };
      this.pacings.set(action, p);
    }
    return p;
  }

  /**
   * Depth and age of each action's queue as this process sees it (the gauges' values): the depth counts the
   * fetched commands not yet sent or capped and the records not fetched yet; the age is the oldest fetched one's.
   */
  snapshot(): Record<string, { depth: number; ageSeconds: number }> {
    const now = this.timer.now();
    const out: Record<string, { depth: number; ageSeconds: number }> = {};
    for (const [action, q] of this.queued) {
      let oldest = now;
      for (const t of q.values()) oldest = Math.min(oldest, t);
      const depth = q.size + (this.unreadNow.get(action) ?? 0);
      out[action] = { depth, ageSeconds: q.size === 0 ? 0 : Math.max(0, (now - oldest) / 1000) };
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
    const rate = pacedRate(perSecond, this.allowanceMs);
    if (!b || b.perSecond !== rate) {
      b = new TokenBucket(rate, Math.max(1, Math.floor(rate / 4)), this.timer);
      this.buckets.set(action, b);
    }
    return b;
  }
}
