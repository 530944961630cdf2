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

/** UTC days of entries a row keeps (`entriesByDay`): the most recent ones seen, older days dropped. */
export const REPORT_DAYS_KEPT = 7;
/** Recent errors a node keeps (`recentErrors`), newest first. */
export const RECENT_ERRORS_KEPT = 5;
/** Longest error message kept in a report row (longer ones are cut, ending in `…`). */
export const RECENT_ERROR_MESSAGE_MAX = 300;

/** One `error` step at a node: its code (the step's reason), the instance's `lastError` and the step's time. */
export const RecentError = Type.Object({
  code: Type.String(),
  message: Type.String(),
  /** The step's timestamp (ISO-8601, the engine's clock). */
  at: Type.String(),
});
export type RecentError = Static<typeof RecentError>;

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
  /**
   * The last `RECENT_ERRORS_KEPT` `error` steps at the node, newest first. Optional: rows written before it existed
   * have none.
   */
  recentErrors: Type.Optional(Type.Array(RecentError)),
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
  /**
   * Instances created per UTC day of their `entered` step (`YYYY-MM-DD` → count), the `REPORT_DAYS_KEPT` most
   * recent days only. Optional: rows written before it existed have none.
   */
  entriesByDay: Type.Optional(Counts),
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

/** Drops all but the `REPORT_DAYS_KEPT` most recent days (`YYYY-MM-DD` sorts by date). */
function keepRecentDays(days: Record<string, number>): void {
  const keys = Object.keys(days).sort();
  for (const k of keys.slice(0, Math.max(0, keys.length - REPORT_DAYS_KEPT))) delete days[k];
}

/** Counts one entry on the UTC day of `timestamp` (ISO-8601 as the engine writes it: `toISOString`). */
export function countEntryDay(row: ReportRow, timestamp: string): void {
  const days = (row.entriesByDay ??= {});
  const day = timestamp.slice(0, 10);
  days[day] = (days[day] ?? 0) + 1;
  keepRecentDays(days);
}

/** Newest first by `at`, at most `RECENT_ERRORS_KEPT`. */
function newestErrors(errors: readonly RecentError[]): RecentError[] {
  return [...errors].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, RECENT_ERRORS_KEPT);
}

/** Keeps `e` as the node's newest error (message cut to `RECENT_ERROR_MESSAGE_MAX`), dropping the oldest beyond the bound. */
export function addRecentError(node: NodeCounts, e: RecentError): void {
  const message =
    e.message.length > RECENT_ERROR_MESSAGE_MAX ? `${e.message.slice(0, RECENT_ERROR_MESSAGE_MAX - 1)}…` : e.message;
  node.recentErrors = [{ code: e.code, message, at: e.at }, ...(node.recentErrors ?? [])].slice(0, RECENT_ERRORS_KEPT);
}

function mergeNode(into: NodeCounts, n: NodeCounts): void {
  into.entered += n.entered;
  into.waiting += n.waiting;
  into.errors += n.errors;
  into.goals += n.goals;
  into.discarded += n.discarded;
  addCounts(into.left, n.left);
  if (n.recentErrors?.length) into.recentErrors = newestErrors([...(into.recentErrors ?? []), ...n.recentErrors]);
}

/**
 * Sums rows of one journey version (one per partition) into one: counts and days added, each node's recent errors
 * the newest `RECENT_ERRORS_KEPT` of all partitions.
 */
export function mergeReportRows(journeyId: string, version: number, rows: readonly ReportRow[]): ReportRow {
  const out = emptyReportRow(journeyId, version);
  for (const r of rows) {
    out.entries += r.entries;
    out.goals += r.goals;
    addCounts(out.exits, r.exits);
    if (r.entriesByDay) {
      addCounts((out.entriesByDay ??= {}), r.entriesByDay);
      keepRecentDays(out.entriesByDay);
    }
    for (const [id, n] of Object.entries(r.nodes)) mergeNode((out.nodes[id] ??= emptyNodeCounts()), n);
  }
  return out;
}
