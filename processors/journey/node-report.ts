/**
 * The per-node report (issue 16 point 4): folds what one input made the instances do (an `Outcome`'s steps, in
 * order, plus where each pre-existing instance stood) into the report rows of the journey versions involved.
 * Everything is derived from the steps that go to `jo.step-events` in the same transaction, so a consumer
 * of that topic that tracks each instance's last node counts the same numbers.
 *
 * Per instance: an `entered`/`transitioned` step is an arrival (the node it stood at counts a departure:
 * `continued`, or the reason of the error/timeout path it took there); a final `ended`/`error`/`timedout` step
 * is a departure by its reason (preceded by an arrival when it happens at a node not yet arrived at: `end`
 * nodes, `tooManySteps`); an instance that does not end stands (`waiting`) at its last node. Bounded history
 * rides along: entries per UTC day of the entry step (`entriesByDay`) and each node's last `error` steps with the
 * instance's error message (`recentErrors`), both timed by the steps' timestamps (the engine's clock).
 */
import {
  addRecentError,
  countEntryDay,
  emptyNodeCounts,
  emptyReportRow,
  reportKey,
  type NodeCounts,
  type ReportRow,
} from '../../schemas/index.js';
import type { InstanceStep, Outcome } from './journey-model.js';

/** The entry pseudo-node of refused entries (`reentranceNotAllowed`): not a node of the journey. */
const ENTRY_NODE = '$entry';
const TERMINAL = new Set(['ended', 'error', 'timedout']);

/** Told about every change of a node's `waiting` count (the `jo_journey_node_instances` gauge). */
export type WaitingListener = (journeyId: string, version: number, nodeId: string, delta: number) => void;

/** Groups the outcome's counted steps by instance, in first-appearance order. */
function byInstance(steps: readonly InstanceStep[]): Map<string, InstanceStep[]> {
  const groups = new Map<string, InstanceStep[]>();
  for (const s of steps) {
    if (s.journeyId === '' || s.nodeId === ENTRY_NODE) continue;
    const k = `${s.journeyId}\u0000${s.journeyVersion}\u0000${s.instanceId}`;
    const g = groups.get(k);
    if (g) g.push(s);
    else groups.set(k, [s]);
  }
  return groups;
}

/**
 * Adds the outcome to `rows` (keyed by `reportKey`; a missing row is created). Returns the keys of the rows it
 * changed.
 */
export function countOutcome(outcome: Outcome, rows: Map<string, ReportRow>, onWaiting?: WaitingListener): Set<string> {
  const origins = new Map<string, string>();
  for (const o of outcome.origins) if (!origins.has(o.instanceId)) origins.set(o.instanceId, o.nodeId);
  const changed = new Set<string>();
  for (const steps of byInstance(outcome.steps).values()) {
    const first = steps[0];
    if (!first) continue;
    const key = reportKey(first.journeyId, first.journeyVersion);
    let row = rows.get(key);
    if (!row) rows.set(key, (row = emptyReportRow(first.journeyId, first.journeyVersion)));
    countInstance(row, steps, origins.get(first.instanceId), onWaiting);
    changed.add(key);
  }
  return changed;
}

/**
 * One instance's walk through a report row: where it stands (`at`) and the error/timeout path it takes from there
 * (`via`: its next arrival is a departure by that reason). A class, not closures: this runs for every instance of
 * every input, and closures made per call cost more than the counting.
 */
class InstanceWalk {
  at: string | undefined;
  via: string | undefined;

  constructor(
    private readonly row: ReportRow,
    origin: string | undefined,
    private readonly on: WaitingListener | undefined,
  ) {
    this.at = origin;
  }

  node(id: string): NodeCounts {
    return (this.row.nodes[id] ??= emptyNodeCounts());
  }

  waiting(id: string, delta: number): void {
    this.node(id).waiting += delta;
    this.on?.(this.row.journeyId, this.row.version, id, delta);
  }

  leave(id: string, how: string): void {
    const n = this.node(id);
    n.left[how] = (n.left[how] ?? 0) + 1;
  }

  arrive(id: string): void {
    if (this.at !== undefined) this.leave(this.at, this.via ?? 'continued');
    this.via = undefined;
    this.node(id).entered += 1;
    this.at = id;
  }
}

function countInstance(
  row: ReportRow,
  steps: readonly InstanceStep[],
  origin: string | undefined,
  on?: WaitingListener,
) {
  const w = new InstanceWalk(row, origin, on);
  if (origin === undefined) {
    row.entries += 1;
    // the day of the instance's first step: the engine's clock, so replays and restarts count the same day
    if (steps[0]) countEntryDay(row, steps[0].timestamp);
  } else w.waiting(origin, -1);
  let ended = false;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i] as InstanceStep;
    const reason = s.reason ?? s.status;
    if (s.status === 'entered' || s.status === 'transitioned') w.arrive(s.nodeId);
    else if (s.status === 'goal') {
      w.node(s.nodeId).goals += 1;
      row.goals += 1;
    } else if (s.status === 'discarded') w.node(s.nodeId).discarded += 1;
    if (s.status === 'error') {
      w.node(s.nodeId).errors += 1;
      addRecentError(w.node(s.nodeId), { code: reason, message: s.message ?? reason, at: s.timestamp });
    }
    if (!TERMINAL.has(s.status)) continue;
    if (i < steps.length - 1) {
      w.via = reason; // an error or timeout path: the walk goes on from this node
      continue;
    }
    if (s.nodeId !== w.at) w.arrive(s.nodeId);
    w.leave(s.nodeId, reason);
    row.exits[reason] = (row.exits[reason] ?? 0) + 1;
    ended = true;
  }
  if (!ended && w.at !== undefined) w.waiting(w.at, 1);
}
