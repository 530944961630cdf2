/**
 * Processor `audience`: runs audience entries (`entry: {audience, schedule}`). When a live audience journey's run
 * is due (`once`: when the version went live; cron: at each match), this partition's task scans its profile store
 * in key order, at most `audienceSliceSize` profiles per wall-clock punctuation (so live events keep flowing
 * between slices), and enters every profile whose attributes match the audience rule. The scan position and the
 * last completed run live in a change-logged store written in the task's transaction with the entries, so a
 * restart continues the scan where the last commit left it: no profile is entered twice and none is skipped.
 */
import {
  emptyOutcome,
  fromCompiled,
  nextRunAt,
  testRule,
  type JourneyDef,
  type Outcome,
  type RuleData,
} from '../journey/index.js';
import { canPrefetch, type KeyValueStore, type Processor, type ProcessorContext } from '../../topology/index.js';
import { taskJourneys, type OutcomeRecord, type TaskJourneys } from './task-journeys.js';
import { NO_HEADERS, STORES, type StepDeps } from '../topology-options.js';
import { ScanShare } from './audience-share.js';

/** Store value per `journeyId@version`: the last completed run and the scan in progress, if any. */
export interface AudienceRunState {
  /** Scheduled time (ms) of the last run this partition completed. */
  readonly lastRunAt?: number;
  /** The run in progress: its scheduled time and the last profile key looked at ('' before the first). */
  readonly current?: { readonly runAt: number; readonly after: string };
}

/**
 * The tasks of a process share one thread with live records, so their audience scans share one time budget (the
 * entries' outputs then cost about as much again outside it: serialization, the producer, the commit). One per
 * process and per limits (a process runs one topology).
 */
const shares = new Map<string, ScanShare>();

function shareFor(deps: StepDeps): ScanShare {
  const l = deps.limits;
  const key = `${l.audienceIntervalMs}/${l.audienceSliceMs}/${l.audienceMaxSliceMs}/${deps.loopIdle ? 'idle' : ''}`;
  let s = shares.get(key);
  if (!s) {
    const limits = { intervalMs: l.audienceIntervalMs, minMs: l.audienceSliceMs, maxMs: l.audienceMaxSliceMs };
    s = new ScanShare(limits, deps.loopIdle);
    shares.set(key, s);
  }
  return s;
}

/** Smallest key greater than `key` in the stores' bytewise order. */
const successor = (key: string) => `${key}\u0000`;
const END = '\u{10FFFF}';

/**
 * The run due at `now`, if any: after downtime that missed several matches of a cron schedule, only the latest one
 * runs (an audience run enters whoever matches now; running it once per missed match would repeat it at once).
 */
function latestDue(schedule: string, publishedAt: number, lastRunAt: number | undefined, tz: string, now: number) {
  let due = nextRunAt(schedule, publishedAt, lastRunAt, tz);
  if (due === undefined || due > now) return undefined;
  for (let i = 0; i < 10_000; i++) {
    const next = nextRunAt(schedule, publishedAt, due, tz);
    if (next === undefined || next > now) break;
    due = next;
  }
  return due;
}

/**
 * Matching profiles entered together: their journey states are read ahead with one batched store read (RocksDB: one
 * thread-pool round trip instead of one per profile, which left the thread waiting through most of a slice).
 */
const ENTRY_CHUNK = 64;

const isEmpty = (o: Outcome) =>
  o.steps.length === 0 && o.commands.length === 0 && o.discards.length === 0 && o.profileUpdates.length === 0;

export class AudienceProcessor implements Processor<never, never, string, OutcomeRecord> {
  private ctx!: ProcessorContext<string, OutcomeRecord>;
  private journeys!: TaskJourneys;
  private runs!: KeyValueStore<AudienceRunState>;
  private profiles!: KeyValueStore<unknown>;
  private instances!: KeyValueStore<unknown>;

  constructor(private readonly deps: StepDeps) {}

  init(ctx: ProcessorContext<string, OutcomeRecord>): void {
    this.ctx = ctx;
    this.journeys = taskJourneys(ctx, this.deps);
    this.runs = ctx.getStateStore<AudienceRunState>(STORES.audience);
    this.profiles = ctx.getStateStore<unknown>(STORES.profiles);
    this.instances = ctx.getStateStore<unknown>(STORES.instances);
    ctx.schedule(this.deps.limits.audienceIntervalMs, 'wall-clock', () => this.tick());
  }

  /** Never called: the processor has no parent. */
  process(): void {
    throw new TypeError('the audience processor has no input');
  }

  /** Starts due runs and scans the next slice of each running one, `audienceSliceSize` profiles in all. */
  async tick(): Promise<void> {
    let budget = this.deps.limits.audienceSliceSize;
    const now = this.journeys.clock.now();
    for (const { compiled, publishedAt } of this.deps.view.liveAudienceJourneys()) {
      if (budget <= 0) return;
      if (this.deps.view.isPaused(compiled.id) || !compiled.audience) continue;
      const key = `${compiled.id}@${compiled.version}`;
      const state = (await this.runs.get(key)) ?? {};
      const def = fromCompiled(compiled, 'live');
      let current = state.current;
      if (!current) {
        const due = latestDue(compiled.audience.schedule, publishedAt, state.lastRunAt, def.timezone, now);
        if (due === undefined) continue;
        current = { runAt: due, after: '' };
      }
      budget -= await this.scan(def, compiled.audience.rule, key, state, current, budget, now);
    }
  }

  /**
   * Scans up to `budget` profiles of the run `current`, within this window's share of the thread; returns how many it
   * looked at. Profiles are read as they are looked at (a slice read ahead and cut short by the share was read and
   * deserialized for nothing), and nothing is read once the share is used up.
   */
  private async scan(
    def: JourneyDef,
    rule: unknown,
    key: string,
    state: AudienceRunState,
    current: { readonly runAt: number; readonly after: string },
    budget: number,
    now: number,
  ): Promise<number> {
    const clock = this.journeys.clock;
    const share = shareFor(this.deps);
    const started = clock.now();
    const left = share.left(started);
    if (left <= 0) return budget; // this window's share is used up: nothing more this punctuation
    const stopAt = started + left;
    const runId = `audience/${key}/${new Date(current.runAt).toISOString()}`;
    const run = { id: runId, at: now, timestamp: new Date(now).toISOString() };
    const prefix = `${def.config.namespace}:`;
    // The slice's entries go downstream as one outcome: one record through emit and report per slice, not one per
    // profile (the per-record path cost more than entering), and one report row update per slice.
    const out = emptyOutcome({ type: 'control', id: runId });
    const matched: Array<readonly [string, unknown]> = [];
    const enter = async () => {
      if (canPrefetch(this.instances)) await this.instances.prefetch(matched.map(([k]) => k));
      for (const [profileKey, profile] of matched)
        await this.journeys.engine.enterAudience(def, profileKey, profile, run, out);
      matched.length = 0;
    };
    let looked = 0;
    let last: string | undefined;
    let done = true;
    for await (const [profileKey, profile] of this.profiles.range(
      current.after === '' ? '' : successor(current.after),
      END,
    )) {
      // one more profile is there: the run is not over, whatever stops this slice
      if (looked >= budget || clock.now() >= stopAt) {
        done = false;
        break;
      }
      looked++;
      last = profileKey;
      if (profile !== null && profileKey.startsWith(prefix) && this.matches(def, rule, profile, now)) {
        matched.push([profileKey, profile]);
        if (matched.length >= ENTRY_CHUNK) await enter();
      }
    }
    if (matched.length > 0) await enter();
    if (!isEmpty(out))
      await this.ctx.forward({ key: def.id, value: { outcome: out }, timestamp: now, headers: NO_HEADERS });
    share.spend(clock.now() - started);
    this.journeys.metrics.audienceScanned.inc({ journey: def.id }, looked);
    if (done) {
      await this.runs.put(key, { lastRunAt: current.runAt });
      this.journeys.metrics.audienceRuns.inc({ journey: def.id });
    } else if (last !== undefined)
      await this.runs.put(key, { ...state, current: { runAt: current.runAt, after: last } });
    return looked;
  }

  /** The audience rule on the profile; a rule that throws counts as no match. */
  private matches(def: JourneyDef, rule: unknown, profile: unknown, now: number): boolean {
    const data: RuleData = {
      events: {},
      profile,
      datasources: {},
      actions: {},
      journey: { id: def.id, version: def.version },
      now,
    };
    try {
      return testRule(rule, data, def.timezone);
    } catch {
      return false;
    }
  }
}
