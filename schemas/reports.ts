/**
 * `jo.reports` (internal, compacted, co-partitioned with the profile state): the exact per-node counts of one
 * journey version in ONE partition. Key `<journeyId>/<version>`; the record's partition is the task's. The
 * pipeline writes it as the changelog of its report store, in the transaction of the step records it counts; the
 * API reads every partition (read_committed) and sums them (`mergeReportRows`) for
 * `GET /v1/journeys/:id/report`.
 */
import { Type, type Static } from '@sinclair/typebox';

const Count = Type.Integer();
const Counts = Type.Record(Type.String(), Count);

/** What happened at one node of a journey version. */
export const NodeCounts = Type.Object({
  /** Arrivals: `entered`/`transitioned` steps at the node (for an `end` node, its `ended`/`end` steps). */
  entered: Count,
  /** Instances standing at the node now (a wait, an event node, an action awaiting its result). */
  waiting: Count,
  /**
   * Departures by outcome: `continued` (moved to the next node), the reason of an error or timeout path taken
   * (`actionError`, `eventTimeout`, ...), or the reason the instance ended here (`end`, `exitCriteria`, ...).
   */
  left: Counts,
  /** `error` steps at the node (an error path taken or the instance ended with an error). */
  errors: Count,
  /** `goal` steps at the node (the instance stood here when it reached the journey goal). */
  goals: Count,
  /** `discarded` steps at the node (events it was not waiting for, over the pending limit, ...). */
  discarded: Count,
});
export type NodeCounts = Static<typeof NodeCounts>;

export const ReportRow = Type.Object({
  journeyId: Type.String(),
  version: Type.Integer(),
  /** Instances created. */
  entries: Count,
  /** Instances that reached the goal (once per instance). */
  goals: Count,
  /** Instances ended, by reason (`end`, `exitCriteria`, `goalReached`, `manualExit`, `ruleFailed`, ...). */
  exits: Counts,
  nodes: Type.Record(Type.String(), NodeCounts),
});
export type ReportRow = Static<typeof ReportRow>;

/** Key of a report row in `jo.reports` and in the pipeline's report store. */
export function reportKey(journeyId: string, version: number): string {
  return `${journeyId}/${version}`;
}

export function emptyReportRow(journeyId: string, version: number): ReportRow {
  return { journeyId, version, entries: 0, goals: 0, exits: {}, nodes: {} };
}

export function emptyNodeCounts(): NodeCounts {
  return { entered: 0, waiting: 0, left: {}, errors: 0, goals: 0, discarded: 0 };
}

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/** Sums rows of one journey version (one per partition) into one. */
export function mergeReportRows(journeyId: string, version: number, rows: readonly ReportRow[]): ReportRow {
  const out = emptyReportRow(journeyId, version);
  for (const r of rows) {
    out.entries += r.entries;
    out.goals += r.goals;
    addCounts(out.exits, r.exits);
    for (const [id, n] of Object.entries(r.nodes)) {
      const m = (out.nodes[id] ??= emptyNodeCounts());
      m.entered += n.entered;
      m.waiting += n.waiting;
      m.errors += n.errors;
      m.goals += n.goals;
      m.discarded += n.discarded;
      addCounts(m.left, n.left);
    }
  }
  return out;
}
