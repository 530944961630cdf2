/**
 * What the journey compiler produces and takes: the `CompiledJourney` the engine executes, the compile options,
 * and the lookups of the resources a journey references.
 */
import type { JourneyConfig, JourneyNode, ActionConfig, DataSourceConfig, EventConfig } from './resources.js';
import type { ConfigProblem } from './problems.js';

/** Resources a journey may reference. `ConfigView` implements it; tests pass plain lookups. */
export interface JourneyRefs {
  event(id: string): EventConfig | undefined;
  action(id: string): ActionConfig | undefined;
  datasource(id: string): DataSourceConfig | undefined;
  /**
   * Journeys the live version of journey `id` jumps to; `undefined` when `id` has no live version. Optional: without
   * it, jump targets and jump cycles are not checked.
   */
  liveJumpTargets?(id: string): readonly string[] | undefined;
}

/** Data sources that exist without configuration (`profile` reads `jo.profiles`). */
export const BUILTIN_DATASOURCES: ReadonlySet<string> = new Set(['profile']);
export const DEFAULT_MAX_NODES = 50;

export interface CompileOptions {
  /** Most nodes a journey may have; 50 by default (PRODUCT.md limits). */
  readonly maxNodes?: number;
  /** Version number recorded in the compiled form (0 when validating an unsaved journey). */
  readonly version?: number;
  /** Longest journey timeout, wait or event timeout; 90 days by default. */
  readonly maxDurationMs?: number;
}

/** One node as the engine executes it. */
export interface CompiledNode {
  readonly id: string;
  readonly type: JourneyNode['type'];
  readonly node: JourneyNode;
  /** Every node this one can go to (in the order the node lists them). */
  readonly next: readonly string[];
  /** Data sources the node's rules, params and action templates read (`datasources.<id>`); fetch only these. */
  readonly datasources: readonly string[];
  /** Event config ids an `event` node waits for; empty for other nodes. */
  readonly waitsFor: readonly string[];
  /** `wait` node with `duration`: the delay in ms. */
  readonly durationMs?: number;
  /** `event` node with `timeout`: the timeout in ms. */
  readonly timeoutMs?: number;
}

/** What the engine executes: plain, JSON-serializable data derived from one journey version. */
export interface CompiledJourney {
  readonly id: string;
  readonly version: number;
  readonly journey: JourneyConfig;
  /** Event config id that creates instances (none for an audience entry). */
  readonly entryEvent?: string;
  /** An audience entry: the rule on `profile` and its schedule (`once` or cron). */
  readonly audience?: { readonly rule: unknown; readonly schedule: string };
  /** Data sources the entry condition reads. */
  readonly entryDatasources: readonly string[];
  /** Data sources the exit criteria's conditions read. */
  readonly exitDatasources: readonly string[];
  /** Data sources the goal condition reads. */
  readonly goalDatasources: readonly string[];
  /** Event config ids of the exit criteria and the goal (empty when none). */
  readonly exitEvents: readonly string[];
  readonly goalEvent?: string;
  /** Journey timeout in ms (default P30D). */
  readonly timeoutMs: number;
  /** Re-entrance policy; `allowed` defaults to false, `waitPeriodMs` to PT5M. */
  readonly reentrance: { readonly allowed: boolean; readonly waitPeriodMs: number };
  /** IANA zone for waits and time helpers; `UTC` by default. */
  readonly timezone: string;
  readonly start: string;
  readonly nodes: Readonly<Record<string, CompiledNode>>;
  /** Event config id → ids of the `event` nodes waiting on it. */
  readonly waitingOn: Readonly<Record<string, readonly string[]>>;
  /** Union of every data source any node or the entry condition reads. */
  readonly datasources: readonly string[];
  /** Every resource the journey references (entry, event nodes, `events.<id>` paths, actions, data sources). */
  readonly references: {
    readonly events: readonly string[];
    readonly actions: readonly string[];
    readonly datasources: readonly string[];
    /** Journeys that `jump` nodes enter. */
    readonly journeys: readonly string[];
  };
}

export type CompileResult =
  { readonly ok: true; readonly compiled: CompiledJourney } | { readonly ok: false; readonly errors: ConfigProblem[] };
