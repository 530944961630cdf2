// The journey report (GET /v1/journeys/:id/report), only used when the API has that route (see api.js features).
import { api, enc } from './api.js';

export function loadReport(id, version) {
  return api('GET', `/v1/journeys/${enc(id)}/report${version ? `?version=${version}` : ''}`);
}

/** Entries today and instances running, from a report; undefined fields when the report has no such numbers. */
export function reportTotals(report) {
  if (!report) return {};
  return { entriesToday: report.entriesToday, running: report.running };
}

/** Per-node counts `{ waiting, passed, errors }` by node id. */
export function nodeCounts(report) {
  const out = {};
  for (const [id, n] of Object.entries(report?.nodes ?? {}))
    out[id] = { waiting: n.waiting, passed: n.passed, errors: n.errors };
  return out;
}

/** Recent error messages recorded for one node, newest first (empty when the report has none). */
export function nodeErrors(report, nodeId) {
  const list = report?.nodes?.[nodeId]?.recentErrors ?? [];
  return list.map((e) => (typeof e === 'string' ? e : `${e.at ?? ''} ${e.code ?? ''} ${e.message ?? ''}`.trim()));
}
