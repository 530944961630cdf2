/**
 * The journey compiler: validates a journey beyond its shape and produces the `CompiledJourney` the engine
 * executes. Called by the REST API on every save/publish and by `ConfigView` when it materializes `jo.config`.
 * Pure: no I/O, no clock. Every problem is reported at once, each with a JSON pointer and a stable code.
 */
import { JourneyConfig, JourneyNode } from './resources.js';
import { pointer, schemaProblems, schemaValid, type ConfigProblem } from './problems.js';
import { cycleProblems, reachable } from './journey-graph.js';
import { DEFAULT_JOURNEY_TIMEOUT, DEFAULT_REENTRANCE_WAIT, MAX_DURATION_MS } from './duration.js';
import { FORBIDDEN_KEYS } from './rules/dialect.js';
import { isValidTimeZone } from './rules/time-zone.js';
import { ID_PATTERN } from './common.js';
import { entryFormProblems, entryWindowProblems, jumpProblems } from './journey-governance-checks.js';
import {
  BUILTIN_DATASOURCES,
  DEFAULT_MAX_NODES,
  type CompileOptions,
  type CompileResult,
  type CompiledJourney,
  type CompiledNode,
  type JourneyRefs,
} from './compiled-journey.js';
import { compileNode, duration, isRecord, rule, unknownEvent, type Work } from './journey-node-checks.js';

export * from './compiled-journey.js';

const ID_RE = new RegExp(ID_PATTERN);

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
  if (typeof tz === 'string' && !isValidTimeZone(tz))
    w.problems.push({ pointer: '/timezone', code: 'TIMEZONE_INVALID', message: `unknown IANA time zone "${tz}"` });
  return { entryDs, exitDs, goalDs, reentranceMs: wait ?? 0 };
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
