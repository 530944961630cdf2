// The journey report (GET /v1/journeys/:id/report), only used when the API has that route (see api.js features).
// Its shape: { entries, entriesToday, entriesByDay: {YYYY-MM-DD: n}, active, exits, goals, nodes: [{ id, type,
// entered, waiting, left: {outcome: n}, errors, goals, discarded, recentErrors: [{code, message, at}] }] }, summed
// over every partition by the API (docs/api.md → Journey report).
import { api, enc } from './api.js';

export function loadReport(id, version) {
  return api('GET', `/v1/journeys/${enc(id)}/report${version ? `?version=${version}` : ''}`);
}

/** Entries (since the version went live), entries today (UTC) and instances running now, from a report. */
export function reportTotals(report) {
  if (!report) return {};
  return { entries: report.entries, entriesToday: report.entriesToday ?? 0, running: report.active };
}

const sum = (o) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);

/**
 * Per-node counts by node id: `waiting` (standing there now), `passed` (departures, whatever the outcome),
 * `errors`, and the report's own `entered`, `left` (departures by outcome), `discarded`, `goals`, `recentErrors`
 * (newest first). The drawn entry
 * node gets the version's entries.
 */
export function nodeCounts(report) {
  const out = {};
  if (!report) return out;
  for (const n of report.nodes ?? [])
    out[n.id] = {
      entered: n.entered,
      waiting: n.waiting,
      passed: sum(n.left),
      errors: n.errors,
      left: n.left ?? {},
      discarded: n.discarded,
      goals: n.goals,
      recentErrors: n.recentErrors ?? [],
    };
  out['@entry'] = {
    entered: report.entries,
    waiting: 0,
    passed: report.entries,
    errors: 0,
    left: {},
    recentErrors: [],
  };
  return out;
}
