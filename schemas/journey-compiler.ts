/**
 * The journey compiler: validates a journey beyond its shape and produces the `CompiledJourney` the engine
 * executes. Called by the REST API on every save/publish and by `ConfigView` when it materializes `jo.config`.
 * Pure: no I/O, no clock. Every problem is reported at once, each with a JSON pointer and a stable code.
 */
import { JourneyConfig, JourneyNode, type ActionConfig, type DataSourceConfig, type EventConfig } from './resources.js';
import { pointer, schemaProblems, schemaValid, type ConfigProblem } from './problems.js';
import { scanRule, refsUnder, type RulePath } from './rule-check.js';
import { cycleProblems, nodeEdges, reachable } from './journey-graph.js';
import { DEFAULT_JOURNEY_TIMEOUT, DEFAULT_REENTRANCE_WAIT, MAX_DURATION_MS, parseDurationMs } from './duration.js';
import { FORBIDDEN_KEYS } from './rules.js';
import { ID_PATTERN } from './common.js';
import { templatePaths } from './template.js';
import { entryFormProblems, entryWindowProblems, jumpProblems } from './journey-governance-checks.js';

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
const ID_RE = new RegExp(ID_PATTERN);

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

interface Work {
  readonly problems: ConfigProblem[];
  readonly refs: JourneyRefs | null;
  readonly opts: Required<Omit<CompileOptions, 'version'>>;
  /** Every key of `nodes` (so edges to a node that failed its schema are not also reported as dangling). */
  readonly ids: ReadonlySet<string>;
  /** Nodes that passed their schema. */
  readonly nodes: ReadonlyMap<string, JourneyNode>;
  timeoutMs: number;
  /** Event ids read through `events.<id>` paths. */
  readonly eventRefs: Set<string>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function duration(w: Work, text: unknown, ptr: string, what: string, cap: number): number | undefined {
  if (typeof text !== 'string') return undefined;
  const ms = parseDurationMs(text);
  if (ms === undefined) {
    // the schema's pattern usually reported it already at this pointer
    if (w.problems.some((p) => p.pointer === ptr)) return undefined;
    w.problems.push({
      pointer: ptr,
      code: 'DURATION_INVALID',
      message: `${what} "${text}" is not an ISO-8601 duration`,
    });
    return undefined;
  }
  if (ms > cap) {
    const code = cap === w.opts.maxDurationMs ? 'DURATION_TOO_LONG' : 'DURATION_EXCEEDS_TIMEOUT';
    const limit = cap === w.opts.maxDurationMs ? `the ${cap / 86_400_000}-day maximum` : 'the journey timeout';
    w.problems.push({ pointer: ptr, code, message: `${what} ${text} exceeds ${limit}` });
  }
  return ms;
}

/** Checks a rule; returns the data sources it reads. Reports unknown data sources, events and action nodes. */
function rule(w: Work, value: unknown, ptr: string): string[] {
  const scan = scanRule(value, ptr);
  w.problems.push(...scan.problems);
  return refChecks(w, scan.paths);
}

function refChecks(w: Work, paths: readonly RulePath[]): string[] {
  const ds = refsUnder(paths, 'datasources');
  for (const p of ds) unknownDatasource(w, p.id, p.pointer);
  for (const p of refsUnder(paths, 'events')) w.eventRefs.add(p.id);
  for (const p of refsUnder(paths, 'events'))
    if (w.refs && !w.refs.event(p.id))
      w.problems.push({ pointer: p.pointer, code: 'REF_UNKNOWN_EVENT', message: `no event "${p.id}"` });
  for (const p of refsUnder(paths, 'actions'))
    if (w.nodes.get(p.id)?.type !== 'action' && !(w.ids.has(p.id) && !w.nodes.has(p.id)))
      w.problems.push({ pointer: p.pointer, code: 'REF_UNKNOWN_NODE', message: `no action node "${p.id}"` });
  return [...new Set(ds.map((p) => p.id))];
}

function unknownDatasource(w: Work, id: string, ptr: string): void {
  if (w.refs && !BUILTIN_DATASOURCES.has(id) && !w.refs.datasource(id))
    w.problems.push({ pointer: ptr, code: 'REF_UNKNOWN_DATASOURCE', message: `no data source "${id}"` });
}

/** Data sources an action's templates read (url, headers, body). */
function actionDatasources(w: Work, actionId: string, ptr: string): string[] {
  const action = w.refs?.action(actionId);
  if (!w.refs) return [];
  if (!action) {
    w.problems.push({ pointer: ptr, code: 'REF_UNKNOWN_ACTION', message: `no action "${actionId}"` });
    return [];
  }
  const texts = [action.url, ...Object.values(action.headers ?? {}), action.type === 'http' ? (action.body ?? '') : ''];
  const ids = new Set<string>();
  for (const t of texts)
    for (const path of templatePaths(t)) {
      const [root, id] = path.split('.');
      if (root === 'datasources' && id) ids.add(id);
    }
  for (const id of ids) unknownDatasource(w, id, ptr);
  return [...ids];
}

function unknownEvent(w: Work, id: string, ptr: string): void {
  if (w.refs && !w.refs.event(id))
    w.problems.push({ pointer: ptr, code: 'REF_UNKNOWN_EVENT', message: `no event "${id}"` });
}

interface NodeFacts {
  readonly ds: string[];
  readonly waitsFor: string[];
  durationMs?: number;
  timeoutMs?: number;
}

/** Per-type checks of one node; fills what the compiled node records. */
function checkNode(w: Work, base: string, node: JourneyNode, f: NodeFacts): void {
  const problem = (at: string, code: string, message: string) => w.problems.push({ pointer: at, code, message });
  if (node.type === 'action') {
    f.ds.push(...actionDatasources(w, node.action, pointer(base, 'action')));
    for (const [k, v] of Object.entries(node.params ?? {})) {
      if (FORBIDDEN_KEYS.has(k)) problem(pointer(base, 'params', k), 'RULE_FORBIDDEN_KEY', `key "${k}" is not allowed`);
      else f.ds.push(...rule(w, v, pointer(base, 'params', k)));
    }
  } else if (node.type === 'condition') {
    node.paths.forEach((p, i) => f.ds.push(...rule(w, p.when, pointer(base, 'paths', i, 'when'))));
  } else if (node.type === 'split') {
    node.paths.forEach((p, i) => {
      if (!(Number.isFinite(p.weight) && p.weight > 0))
        problem(pointer(base, 'paths', i, 'weight'), 'SPLIT_WEIGHT_INVALID', 'weight must be a positive number');
    });
  } else if (node.type === 'wait') {
    if ('duration' in node) f.durationMs = duration(w, node.duration, pointer(base, 'duration'), 'wait', w.timeoutMs);
    else f.ds.push(...rule(w, node.until, pointer(base, 'until')));
  } else if (node.type === 'event') {
    node.events.forEach((e, i) => {
      unknownEvent(w, e.event, pointer(base, 'events', i, 'event'));
      if (e.condition !== undefined) f.ds.push(...rule(w, e.condition, pointer(base, 'events', i, 'condition')));
      f.waitsFor.push(e.event);
    });
    if (node.timeout !== undefined)
      f.timeoutMs = duration(w, node.timeout, pointer(base, 'timeout'), 'event timeout', w.timeoutMs);
    if (node.onTimeout !== undefined && node.timeout === undefined)
      problem(pointer(base, 'onTimeout'), 'EVENT_TIMEOUT_MISSING', 'onTimeout needs a timeout');
  } else if (node.type === 'updateProfile') {
    for (const [k, v] of Object.entries(node.set ?? {})) {
      if (k.split('.').some((seg) => FORBIDDEN_KEYS.has(seg) || seg === ''))
        problem(pointer(base, 'set', k), 'PROFILE_PATH_INVALID', `attribute path "${k}" is not allowed`);
      else f.ds.push(...rule(w, v, pointer(base, 'set', k)));
    }
    (node.remove ?? []).forEach((k, i) => {
      if (k.split('.').some((seg) => FORBIDDEN_KEYS.has(seg) || seg === ''))
        problem(pointer(base, 'remove', i), 'PROFILE_PATH_INVALID', `attribute path "${k}" is not allowed`);
    });
    if (Object.keys(node.set ?? {}).length === 0 && (node.remove ?? []).length === 0)
      problem(base, 'PROFILE_UPDATE_EMPTY', 'updateProfile needs "set" or "remove"');
  }
}

function compileNode(w: Work, id: string, node: JourneyNode): CompiledNode {
  const base = pointer('/nodes', id);
  const f: NodeFacts = { ds: [], waitsFor: [] };
  checkNode(w, base, node, f);
  for (const e of nodeEdges(node))
    if (!w.ids.has(e.to))
      w.problems.push({ pointer: pointer(base, ...e.at), code: 'NODE_REF_UNKNOWN', message: `no node "${e.to}"` });
  return {
    id,
    type: node.type,
    node,
    next: [...new Set(nodeEdges(node).map((e) => e.to))],
    datasources: [...new Set(f.ds)],
    waitsFor: [...new Set(f.waitsFor)],
    ...(f.durationMs !== undefined ? { durationMs: f.durationMs } : {}),
    ...(f.timeoutMs !== undefined ? { timeoutMs: f.timeoutMs } : {}),
  };
}

function splitNodes(raw: unknown, problems: ConfigProblem[]): { ids: Set<string>; nodes: Map<string, JourneyNode> } {
  const ids = new Set<string>();
  const nodes = new Map<string, JourneyNode>();
  if (!isRecord(raw)) return { ids, nodes };
  for (const [id, node] of Object.entries(raw)) {
    if (FORBIDDEN_KEYS.has(id)) {
      problems.push({
        pointer: pointer('/nodes', id),
        code: 'NODE_ID_FORBIDDEN',
        message: `node id "${id}" is not allowed`,
      });
      continue;
    }
    if (!ID_RE.test(id)) continue; // reported by the schema; edges to it are dangling
    ids.add(id);
    if (schemaValid(JourneyNode, node)) nodes.set(id, node);
  }
  return { ids, nodes };
}

function graphChecks(w: Work, start: unknown, allValid: boolean): void {
  if (w.ids.size > w.opts.maxNodes)
    w.problems.push({
      pointer: '/nodes',
      code: 'JOURNEY_TOO_MANY_NODES',
      message: `${w.ids.size} nodes; at most ${w.opts.maxNodes}`,
    });
  if (typeof start === 'string' && !w.ids.has(start))
    w.problems.push({
      pointer: '/start',
      code: 'JOURNEY_START_UNKNOWN',
      message: `start node "${start}" does not exist`,
    });
  // with a broken node or a dangling edge, "unreachable" would be noise: report it only on an otherwise sound graph
  const dangling = w.problems.some((p) => p.code === 'NODE_REF_UNKNOWN');
  if (allValid && !dangling && typeof start === 'string' && w.ids.has(start)) {
    const seen = reachable(start, w.nodes);
    for (const id of w.ids)
      if (!seen.has(id))
        w.problems.push({
          pointer: pointer('/nodes', id),
          code: 'NODE_UNREACHABLE',
          message: `node "${id}" cannot be reached from "${start}"`,
        });
  }
  w.problems.push(...cycleProblems(w.nodes));
}

interface JourneyLevel {
  readonly entryDs: string[];
  readonly exitDs: string[];
  readonly goalDs: string[];
  readonly reentranceMs: number;
}

/** An exit criterion or the goal: its event must exist, its condition is a checked rule. */
function trigger(w: Work, t: unknown, ptr: string): string[] {
  if (!isRecord(t)) return [];
  if (typeof t['event'] === 'string') unknownEvent(w, t['event'], `${ptr}/event`);
  return t['condition'] !== undefined ? rule(w, t['condition'], `${ptr}/condition`) : [];
}

function exitsAndGoal(w: Work, j: Record<string, unknown>): { exitDs: string[]; goalDs: string[] } {
  const exits = Array.isArray(j['exit']) ? (j['exit'] as unknown[]) : [];
  const exitDs = exits.flatMap((e, i) => trigger(w, e, pointer('/exit', i)));
  const seen = new Map<string, number>();
  exits.forEach((e, i) => {
    if (!isRecord(e) || typeof e['event'] !== 'string' || e['condition'] !== undefined) return;
    const first = seen.get(e['event']);
    if (first !== undefined)
      w.problems.push({
        pointer: pointer('/exit', i),
        code: 'EXIT_CRITERION_DUPLICATE',
        message: `exit criterion ${first} already ends instances on "${e['event']}" unconditionally`,
      });
    else seen.set(e['event'], i);
  });
  return { exitDs: [...new Set(exitDs)], goalDs: trigger(w, j['goal'], '/goal') };
}

function journeyLevel(w: Work, j: Record<string, unknown>): JourneyLevel {
  const entry = isRecord(j['entry']) ? j['entry'] : {};
  if (typeof entry['event'] === 'string') unknownEvent(w, entry['event'], '/entry/event');
  const entryDs = entry['condition'] !== undefined ? rule(w, entry['condition'], '/entry/condition') : [];
  const audienceDs = entry['audience'] !== undefined ? rule(w, entry['audience'], '/entry/audience') : [];
  w.problems.push(...entryFormProblems(entry, audienceDs));
  const { exitDs, goalDs } = exitsAndGoal(w, j);
  const re = isRecord(j['reentrance']) ? j['reentrance'] : {};
  const wait = duration(
    w,
    re['waitPeriod'] ?? DEFAULT_REENTRANCE_WAIT,
    '/reentrance/waitPeriod',
    're-entrance wait',
    w.opts.maxDurationMs,
  );
  const tz = j['timezone'];
  if (typeof tz === 'string' && !validTimezone(tz))
    w.problems.push({ pointer: '/timezone', code: 'TIMEZONE_INVALID', message: `unknown IANA time zone "${tz}"` });
  return { entryDs, exitDs, goalDs, reentranceMs: wait ?? 0 };
}

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates `journey` (shape, graph, references, durations, rules) and compiles it. `refs: null` skips the
 * reference checks (and the data sources read by action templates), e.g. to compile a closed version whose
 * resources were deleted since.
 */
export function compileJourney(journey: unknown, refs: JourneyRefs | null, opts: CompileOptions = {}): CompileResult {
  const problems = schemaProblems(JourneyConfig, journey);
  if (!isRecord(journey)) return { ok: false, errors: problems };
  const { ids, nodes } = splitNodes(journey['nodes'], problems);
  const o = { maxNodes: opts.maxNodes ?? DEFAULT_MAX_NODES, maxDurationMs: opts.maxDurationMs ?? MAX_DURATION_MS };
  const w: Work = { problems, refs, opts: o, ids, nodes, timeoutMs: o.maxDurationMs, eventRefs: new Set() };
  const t = duration(w, journey['timeout'] ?? DEFAULT_JOURNEY_TIMEOUT, '/timeout', 'journey timeout', o.maxDurationMs);
  if (t) w.timeoutMs = Math.min(t, o.maxDurationMs);
  if (t === 0)
    problems.push({ pointer: '/timeout', code: 'DURATION_TOO_SHORT', message: 'journey timeout must be positive' });
  const level = journeyLevel(w, journey);
  const compiledNodes: Record<string, CompiledNode> = {};
  for (const [id, node] of nodes) compiledNodes[id] = compileNode(w, id, node);
  graphChecks(w, journey['start'], nodes.size === ids.size);
  problems.push(...jumpProblems(nodes, refs, journey['id']));
  problems.push(...entryWindowProblems(journey));
  if (problems.length > 0) return { ok: false, errors: problems };
  const j = journey as JourneyConfig;
  return {
    ok: true,
    compiled: assemble(j, opts.version ?? 0, compiledNodes, level, w.timeoutMs, w.eventRefs),
  };
}

function assemble(
  j: JourneyConfig,
  version: number,
  nodes: Record<string, CompiledNode>,
  level: JourneyLevel,
  timeoutMs: number,
  eventRefs: ReadonlySet<string>,
): CompiledJourney {
  const { entryDs, exitDs, goalDs, reentranceMs: waitPeriodMs } = level;
  const exitEvents = [...new Set((j.exit ?? []).map((e) => e.event))];
  const waitingOn: Record<string, string[]> = {};
  for (const n of Object.values(nodes)) for (const ev of n.waitsFor) (waitingOn[ev] ??= []).push(n.id);
  const all = new Set([...entryDs, ...exitDs, ...goalDs, ...Object.values(nodes).flatMap((n) => n.datasources)]);
  const triggers = [...exitEvents, ...(j.goal ? [j.goal.event] : [])];
  const events = new Set([
    ...(j.entry.event ? [j.entry.event] : []),
    ...Object.keys(waitingOn),
    ...eventRefs,
    ...triggers,
  ]);
  const actions = new Set(Object.values(nodes).flatMap((n) => (n.node.type === 'action' ? [n.node.action] : [])));
  return {
    id: j.id,
    version,
    journey: j,
    ...(j.entry.event !== undefined ? { entryEvent: j.entry.event } : {}),
    ...(j.entry.audience !== undefined
      ? { audience: { rule: j.entry.audience, schedule: j.entry.schedule ?? 'once' } }
      : {}),
    entryDatasources: entryDs,
    exitDatasources: exitDs,
    goalDatasources: goalDs,
    exitEvents,
    ...(j.goal ? { goalEvent: j.goal.event } : {}),
    timeoutMs,
    reentrance: { allowed: j.reentrance?.allowed ?? false, waitPeriodMs },
    timezone: j.timezone ?? 'UTC',
    start: j.start,
    nodes,
    waitingOn,
    datasources: [...all],
    references: {
      events: [...events],
      actions: [...actions],
      datasources: [...all].filter((d) => !BUILTIN_DATASOURCES.has(d)),
      journeys: [...new Set(Object.values(nodes).flatMap((n) => (n.node.type === 'jump' ? [n.node.journey] : [])))],
    },
  };
}
