/**
 * The journey compiler's checks of single nodes and rules: references to events, actions, data sources and
 * action nodes, durations against the journey timeout, per-type node rules. Each check appends to the
 * compilation's problem list and returns what the compiled node records.
 */
import { JourneyNode } from './resources.js';
import { pointer, type ConfigProblem, type ProblemCode } from './problems.js';
import { scanRule, refsUnder, type RulePath } from './rules/rule-check.js';
import { nodeEdges } from './journey-graph.js';
import { parseDurationMs } from './duration.js';
import { FORBIDDEN_KEYS } from './rules/dialect.js';
import { templatePaths } from './template.js';
import { BUILTIN_DATASOURCES, type CompileOptions, type CompiledNode, type JourneyRefs } from './compiled-journey.js';

export interface Work {
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

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function duration(w: Work, text: unknown, ptr: string, what: string, cap: number): number | undefined {
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
export function rule(w: Work, value: unknown, ptr: string): string[] {
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

export function unknownEvent(w: Work, id: string, ptr: string): void {
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
  const problem = (at: string, code: ProblemCode, message: string) => w.problems.push({ pointer: at, code, message });
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

export function compileNode(w: Work, id: string, node: JourneyNode): CompiledNode {
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
