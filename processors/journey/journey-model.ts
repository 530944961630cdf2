/**
 * The data the journey state machine works on: normalized events, journey definitions (what the engine needs
 * of a compiled journey), per-profile instance state, timers, and the outputs of one transition.
 * All of it is plain JSON so that it round-trips through state stores and changelogs unchanged.
 */
import type {
  ActionCommand,
  ActionConfig,
  DataSourceConfig,
  JourneyConfig,
  JourneyState,
  Step,
  StepCause,
} from '../../schemas/index.js';

/** PRODUCT.md → Normalized event: what conditions see as `event`. */
export interface NormalizedEvent {
  readonly id: string;
  /** ISO-8601. */
  readonly timestamp: string;
  readonly eventType: string;
  readonly eventConfigId: string;
  readonly identity: { readonly namespace: string; readonly id: string };
  readonly xdm: Readonly<Record<string, unknown>>;
}

/** `<namespace>:<id>`, the key of everything profile-scoped. */
export function profileKeyOf(identity: NormalizedEvent['identity']): string {
  return `${identity.namespace}:${identity.id}`;
}

/** One version of a journey as the engine runs it: the config plus what was parsed from it once. */
export interface JourneyDef {
  readonly id: string;
  readonly version: number;
  readonly state: JourneyState;
  readonly config: JourneyConfig;
  readonly timezone: string;
  readonly timeoutMs: number;
  readonly reentrance: { readonly allowed: boolean; readonly waitPeriodMs: number };
  /** Wait durations and event-node timeouts in ms, by node id. */
  readonly durations: Readonly<Record<string, number>>;
  /**
   * Custom data-source ids read by each node's rules and params; `$entry`, `$exit`, `$goal` for the entry
   * condition, the exit criteria and the goal.
   */
  readonly needs: Readonly<Record<string, readonly string[]>>;
  /** Event configuration ids the journey reacts to (entry, event nodes, exit criteria, goal). */
  readonly events: readonly string[];
}

/** What a waiting instance is blocked on. */
export type Blocked =
  | { readonly kind: 'wait'; readonly nodeId: string; readonly token: string; readonly dueAt: number }
  | { readonly kind: 'event'; readonly nodeId: string; readonly token?: string; readonly dueAt?: number }
  | {
      readonly kind: 'action';
      readonly nodeId: string;
      readonly commandId: string;
      readonly token: string;
      readonly dueAt: number;
    }
  /** Halted at `nodeId` (not yet evaluated) while the journey is paused; continued on resume. */
  | {
      readonly kind: 'paused';
      readonly nodeId: string;
      /** The node it stood at before halting (its last step's): where the per-node report counts it waiting. */
      readonly after?: string;
      readonly token?: undefined;
      readonly dueAt?: undefined;
    };

/** `actions.<nodeId>` in rules: the last result of that node's command. */
export interface ActionOutcome {
  readonly commandId: string;
  readonly status: string;
  readonly httpStatus?: number;
  readonly response?: unknown;
  readonly attempts: number;
  readonly error?: string;
}

export interface InstanceState {
  readonly instanceId: string;
  readonly journeyId: string;
  readonly version: number;
  readonly profileKey: string;
  readonly enteredAt: number;
  readonly entryEventId?: string;
  currentNode: string;
  blocked?: Blocked;
  /** Latest event of each configuration seen by this instance. */
  events: Record<string, NormalizedEvent>;
  /**
   * The last event that moved the instance (its entry event, or one an `event` node accepted): `event` in rules
   * and params on steps resumed by a timer, a timeout or an action result.
   */
  lastEvent?: NormalizedEvent;
  actions: Record<string, ActionOutcome>;
  /** Visits per node: the `attempt` of a command, so a node visited twice makes a different commandId. */
  visits: Record<string, number>;
  lastError?: string;
  /** When the goal was reached (epoch ms); a goal counts once per instance. */
  goalAt?: number;
  /** Counter behind timer tokens. */
  seq: number;
  timeout: { readonly token: string; readonly dueAt: number };
  /**
   * The one timer the index holds for the instance: the earlier of its blocked node's deadline and the journey
   * timeout (instance-timer.ts). Absent on instances stored before one timer per instance (both were indexed).
   */
  armed?: {
    readonly token: string;
    readonly dueAt: number;
    readonly kind: TimerKind;
    readonly nodeId: string;
  };
  /** Events that arrived while the instance was waiting for an action result, replayed after it. */
  pending: NormalizedEvent[];
}

/** Everything one profile has in one journey: at most one running instance, plus re-entrance history. */
export interface ProfileJourney {
  readonly journeyId: string;
  readonly profileKey: string;
  entries: number;
  lastEnteredAt?: number;
  lastEndedAt?: number;
  lastInstanceId?: string;
  instance?: InstanceState;
}

export const TimerKinds = ['wait', 'eventTimeout', 'actionTimeout', 'journeyTimeout'] as const;
export type TimerKind = (typeof TimerKinds)[number];

/** A durable timer (a `jo.timers` record and an entry of the per-partition timer index). */
export interface JourneyTimer {
  readonly token: string;
  readonly dueAt: number;
  readonly kind: TimerKind;
  readonly profileKey: string;
  readonly journeyId: string;
  readonly version: number;
  readonly instanceId: string;
  readonly nodeId: string;
}

export type TimerOp =
  { readonly op: 'set'; readonly timer: JourneyTimer } | { readonly op: 'cancel'; readonly timer: JourneyTimer };

export interface EmittedCommand {
  readonly connector: string;
  readonly command: ActionCommand;
}

/** Why something was not processed (metric label `reason`). */
export interface Discard {
  readonly reason: string;
  readonly journeyId?: string;
}

/** A profile document written by an `updateProfile` node (the whole new value of its `jo.profiles` record). */
export interface ProfileUpdate {
  readonly profileKey: string;
  readonly profile: Record<string, unknown>;
}

/** A `jump` node's request to enter the profile into another journey, with the event that moved the instance. */
export interface JumpRequest {
  readonly journeyId: string;
  readonly fromJourneyId: string;
  readonly event: NormalizedEvent;
}

/** A step with the instance it belongs to; `emit` groups them into one step record per instance. */
export interface InstanceStep extends Step {
  readonly journeyId: string;
  readonly journeyVersion: number;
  readonly instanceId: string;
  readonly profileKey: string;
  /**
   * On an `error` step: what went wrong (the instance's `lastError`). Kept by the per-node report's recent errors;
   * not part of the step record written to `jo.step-events`.
   */
  readonly message?: string;
}

/** Where an instance that existed before an input stood when the input reached it (the node it was blocked at). */
export interface InstanceOrigin {
  readonly instanceId: string;
  readonly nodeId: string;
}

/** Everything one input (event, timer, result, control) produces, in order. */
export interface Outcome {
  /** The input; set by the engine method that handled it. */
  cause?: StepCause;
  readonly commands: EmittedCommand[];
  readonly steps: InstanceStep[];
  readonly timers: TimerOp[];
  readonly discards: Discard[];
  readonly entries: Array<{ readonly journeyId: string; readonly version: number }>;
  readonly exits: Array<{ readonly journeyId: string; readonly version: number; readonly reason: string }>;
  readonly profileUpdates: ProfileUpdate[];
  readonly jumps: JumpRequest[];
  /** Commands not emitted because a frequency cap was reached (metric `jo_frequency_capped_total`). */
  readonly capped: Array<{ readonly cap: string; readonly journeyId: string }>;
  readonly goals: Array<{ readonly journeyId: string; readonly version: number }>;
  /**
   * The node each instance that existed before the input stood at (first one per instance counts). Step records do
   * not say where an instance resumed from; the per-node report (node-report.ts) counts departures with it.
   */
  readonly origins: InstanceOrigin[];
}

export function emptyOutcome(cause?: StepCause): Outcome {
  const o: Outcome = {
    commands: [],
    steps: [],
    timers: [],
    discards: [],
    entries: [],
    exits: [],
    profileUpdates: [],
    jumps: [],
    capped: [],
    goals: [],
    origins: [],
  };
  if (cause) o.cause = cause;
  return o;
}

export function mergeOutcome(into: Outcome, from: Outcome): Outcome {
  // (most lists of an outcome are empty: no call spreading an empty list)
  if (from.commands.length > 0) into.commands.push(...from.commands);
  if (from.steps.length > 0) into.steps.push(...from.steps);
  if (from.timers.length > 0) into.timers.push(...from.timers);
  if (from.discards.length > 0) into.discards.push(...from.discards);
  if (from.entries.length > 0) into.entries.push(...from.entries);
  if (from.exits.length > 0) into.exits.push(...from.exits);
  if (from.profileUpdates.length > 0) into.profileUpdates.push(...from.profileUpdates);
  if (from.jumps.length > 0) into.jumps.push(...from.jumps);
  if (from.capped.length > 0) into.capped.push(...from.capped);
  if (from.goals.length > 0) into.goals.push(...from.goals);
  if (from.origins.length > 0) into.origins.push(...from.origins);
  return into;
}

export interface EngineLimits {
  /** Events queued per instance while it waits for an action result (PRODUCT.md: 10 per profile per version). */
  readonly maxPendingEvents: number;
  /** Node visits in one evaluation before the instance is ended with an error (guards against cycles). */
  readonly maxStepsPerEvaluation: number;
  /**
   * How long after a command's deadline an instance waiting for its result gives up and takes `onError` with
   * reason `actionResultMissing` (no result is made up: the engine cannot know whether a call was made). The
   * connector writes `expired` for a command it takes after the deadline, so this only matters when no connector
   * runs for that long.
   */
  readonly actionResultGraceMs: number;
  /** Action timeout when the action config gives none. */
  readonly defaultActionTimeoutMs: number;
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxPendingEvents: 10,
  maxStepsPerEvaluation: 200,
  actionResultGraceMs: 15 * 60_000,
  defaultActionTimeoutMs: 10_000,
};

/** Data the engine may read while walking a journey. */
export interface EngineEnv {
  now(): number;
  action(id: string): ActionConfig | undefined;
  datasource(id: string): DataSourceConfig | undefined;
  /**
   * Fetches custom data sources for one evaluation. Must settle within the data source's timeout; rejects with
   * an error when one fails (the instance then takes its error path or ends with an `error` step event).
   */
  fetchDatasources(
    ids: readonly string[],
    scope: { readonly profileKey: string; readonly profile: unknown; readonly event?: NormalizedEvent },
  ): Promise<Record<string, unknown>>;
  readonly limits: EngineLimits;
  /** Frequency caps across journeys; without it nothing is capped. */
  readonly frequency?: FrequencyLedger;
  /** True while journey `journeyId` is paused (no entries; instances halt at their next node). */
  readonly paused?: (journeyId: string) => boolean;
  /** Journey entry caps (`maxEntriesPerDay`, `maxConcurrentInstances`); without it they are not enforced. */
  readonly entries?: EntryLedger;
  /** Write discards of events that entered no journey as step records (engine-wide verbose step events). */
  readonly verboseSteps?: boolean;
}

/**
 * Per-profile command counts behind frequency caps, kept in the profile's partition (a changelogged store written
 * in the task's transaction), so the counts are exact and survive restarts and rebalances. Both calls may answer
 * synchronously when no cap applies (no store to read: no promise per action node).
 */
export interface FrequencyLedger {
  /** The id of a cap that one more command of `action` would exceed for `profileKey` at `now`, if any. */
  check(profileKey: string, action: ActionConfig, now: number): string | undefined | Promise<string | undefined>;
  /** Counts one command of `action` sent for `profileKey` at `now`. */
  record(profileKey: string, action: ActionConfig, now: number): void | Promise<void>;
}

/**
 * Entry and running-instance counts behind a journey's `maxEntriesPerDay` and `maxConcurrentInstances`, kept in the
 * partition's changelogged store and written in the task's transaction (entry-ledger.ts). `admit` and `entered` may
 * answer synchronously for a journey without caps (no promise per entry).
 */
export interface EntryLedger {
  /** The cap (`maxEntriesPerDay` or `maxConcurrentInstances`) one more entry into `def` at `now` would exceed, if any. */
  admit(def: JourneyDef, now: number): string | undefined | Promise<string | undefined>;
  /** Counts an entry into `def` at `now`. */
  entered(def: JourneyDef, now: number): void | Promise<void>;
  /** Counts the end of an instance of `def`. */
  ended(def: JourneyDef): Promise<void>;
}
