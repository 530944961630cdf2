/**
 * Builds, for one processor of one task, the journey engine over the task's stores: the catalog of journeys
 * from the config view, the engine environment (clock, actions, data-source loading) and profile lookups.
 */
import type { ConfigView } from '../../schemas/index.js';
import { SystemTimer, type Clock, type Metrics, type ProcessorContext, type Timer } from '../../topology/index.js';
import {
  type EngineEnv,
  fromCompiled,
  type JourneyCatalog,
  type JourneyDef,
  JourneyEngine,
  type NormalizedEvent,
  type Outcome,
  type ProfileState,
  type SendRecord,
  StoreFrequencyLedger,
  StoreEntryLedger,
  type EntryCount,
} from '../journey/index.js';
import { journeyMetrics, type JourneyMetrics } from './journey-metrics.js';
import { processorCodes } from '../codes.js';
import { STORES, type DataSourceFetcher, type StepDeps } from '../topology-options.js';

/**
 * Journeys as the engine sees them: live versions by entry event, any version by (id, version). Lookups are kept
 * until the view changes (its `revision`): every input asks them, and the config changes rarely.
 */
export function viewCatalog(view: ConfigView): JourneyCatalog {
  let revision = -1;
  const liveFor = new Map<string, readonly JourneyDef[]>();
  const versions = new Map<string, JourneyDef | null>();
  const fresh = () => {
    if (revision === view.revision) return;
    revision = view.revision;
    liveFor.clear();
    versions.clear();
  };
  return {
    liveForEvent: (eventId) => {
      fresh();
      let defs = liveFor.get(eventId);
      if (!defs) liveFor.set(eventId, (defs = view.liveJourneysFor(eventId).map((c) => fromCompiled(c, 'live'))));
      return defs;
    },
    version: (id, version) => {
      fresh();
      const k = `${version}@${id}`;
      let def = versions.get(k);
      if (def === undefined) {
        const c = view.compiled(id, version);
        const state = view.versionState(id, version);
        versions.set(k, (def = c && state ? fromCompiled(c, state) : null));
      }
      return def ?? undefined;
    },
    live: (id) => {
      const version = view.liveVersion(id);
      const c = version === undefined ? undefined : view.compiled(id, version);
      return c ? fromCompiled(c, 'live') : undefined;
    },
  };
}

/** Waits for `p`, but rejects once `ms` have passed on `timer` (whose sleep is cancelled when `p` settles). */
async function within<T>(p: Promise<T>, ms: number, timer: Timer, what: string): Promise<T> {
  const stop = new AbortController();
  const expired = timer.sleep(ms, stop.signal).then(() => {
    if (!stop.signal.aborted)
      throw processorCodes.error('DATASOURCE_NO_ANSWER', `${what} did not answer within ${ms} ms`);
    return undefined as never;
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    stop.abort();
  }
}

/**
 * Fetches the data sources of one evaluation in parallel; `profile` is the built-in one. Each call is bounded by
 * the data source's `timeoutMs` (else `defaultTimeoutMs`) plus `graceMs` on `timer`, even if the fetcher
 * misbehaves, so a hanging endpoint costs its partition at most that long.
 */
export function datasourceLoader(
  view: ConfigView,
  fetch: DataSourceFetcher | undefined,
  timer: Timer,
  bounds: { readonly defaultTimeoutMs: number; readonly graceMs: number },
): EngineEnv['fetchDatasources'] {
  return async (ids, scope) => {
    const data = { profile: scope.profile ?? {}, profileKey: scope.profileKey, event: scope.event ?? null };
    const values = await Promise.all(
      ids.map(async (id) => {
        if (id === 'profile') return scope.profile ?? {};
        const ds = view.datasource(id);
        if (!ds) throw processorCodes.error('DATASOURCE_UNAVAILABLE', `data source "${id}" is not configured`);
        if (!fetch)
          throw processorCodes.error(
            'DATASOURCE_UNAVAILABLE',
            `no data-source fetcher configured (data source "${id}")`,
          );
        const ms = (ds.timeoutMs ?? bounds.defaultTimeoutMs) + bounds.graceMs;
        return within(fetch(ds, data), ms, timer, `data source "${id}"`);
      }),
    );
    return Object.fromEntries(ids.map((id, i) => [id, values[i]]));
  };
}

export interface TaskJourneys {
  readonly engine: JourneyEngine;
  readonly clock: Clock;
  readonly metrics: JourneyMetrics;
  readonly rawMetrics: Metrics;
  profile(key: string): Promise<unknown>;
}

/** The engine of this task (call in `init`; the processor must be connected to the instance and profile stores). */
export function taskJourneys(ctx: ProcessorContext<unknown, unknown>, deps: StepDeps): TaskJourneys {
  const clock = deps.clock ?? ctx.clock;
  const rawMetrics = deps.metrics ?? ctx.metrics;
  const instances = ctx.getStateStore<ProfileState>(STORES.instances);
  const profiles = ctx.getStateStore<unknown>(STORES.profiles);
  const frequency = new StoreFrequencyLedger(ctx.getStateStore<SendRecord[]>(STORES.sends), () => deps.view.caps());
  const entries = new StoreEntryLedger(ctx.getStateStore<EntryCount>(STORES.entries), deps.partitions, ctx.partition);
  const env: EngineEnv = {
    now: () => clock.now(),
    action: (id) => deps.view.action(id),
    datasource: (id) => deps.view.datasource(id),
    fetchDatasources: datasourceLoader(deps.view, deps.fetchDatasource, deps.timer ?? new SystemTimer(), {
      defaultTimeoutMs: deps.limits.datasourceTimeoutMs,
      graceMs: deps.limits.datasourceGraceMs,
    }),
    limits: deps.limits,
    frequency,
    entries,
    paused: (id) => deps.view.isPaused(id),
    verboseSteps: deps.verboseSteps,
  };
  return {
    engine: new JourneyEngine(env, viewCatalog(deps.view), instances),
    clock,
    metrics: journeyMetrics(rawMetrics),
    rawMetrics,
    profile: (key) => profiles.get(key),
  };
}

/** What match/timers/evaluate forward to emit. */
export interface OutcomeRecord {
  readonly outcome: Outcome;
  /** Timestamp of the event that caused it (event-to-command latency). */
  readonly eventTimestamp?: number;
}

/** What enrich forwards to match. */
export interface EnrichedEvent {
  readonly event: NormalizedEvent;
  readonly profile: unknown;
}
