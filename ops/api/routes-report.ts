/**
 * `GET /v1/journeys/:id/report?version=N` (read role): the exact per-node report of one journey version — entries,
 * exits by reason, goals, conversion rate and, per node, arrivals, who stands there now, departures by outcome,
 * errors, goals and discards; entries per UTC day (today's apart) and each node's recent errors. The pipeline keeps
 * one row per partition in `jo.reports`, written in the transaction of the step records it counts; this route sums
 * the rows of every partition (ReportSource), so any API process answers for the whole engine. Without `version`:
 * the live version, else the newest.
 */
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import { emptyNodeCounts, mergeReportRows, type JourneyRecord, type NodeCounts } from '../../schemas/index.js';
import { ApiError, invalid, notFound } from './errors.js';
import { pathId, type RouteContext } from './context.js';
import type { ReportSource } from './report-view.js';

const schema = {
  tags: ['journeys'],
  summary: 'Exact per-node counts of a journey version (entries, exits by reason, goals, who waits where)',
  params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  querystring: { type: 'object', properties: { version: { type: 'string' } } },
};

/** Seconds a client should wait before asking again while the report view is loading. */
const RETRY_AFTER_S = 2;

function versionOf(rec: JourneyRecord, query: unknown): number {
  const raw = (query as { version?: unknown } | undefined)?.version;
  if (raw === undefined) {
    const live = rec.versions.find((v) => v.state === 'live');
    return live?.version ?? Math.max(...rec.versions.map((v) => v.version));
  }
  if (typeof raw !== 'string' || !/^[1-9]\d{0,8}$/.test(raw))
    throw invalid([{ pointer: '/version', code: 'SCHEMA_PATTERN', message: 'version must be a positive integer' }]);
  return Number(raw);
}

interface NodeReport extends NodeCounts {
  readonly id: string;
  /** The node's type in the version's config (`unknown` for a node the config does not have). */
  readonly type: string;
  /** Always present here (`[]` when none), newest first. */
  readonly recentErrors: NonNullable<NodeCounts['recentErrors']>;
}

export function registerReportRoutes(app: FastifyInstance, ctx: RouteContext, reports?: ReportSource): void {
  app.get('/v1/journeys/:id/report', { schema }, async (req, reply) => {
    const id = pathId(req.params);
    const rec = ctx.store.view.journey(id);
    if (!rec) throw notFound(`journey "${id}"`);
    const version = versionOf(rec, req.query);
    const v = rec.versions.find((x) => x.version === version);
    if (!v) throw notFound(`version ${version} of journey "${id}"`);
    if (!reports?.isReady()) {
      void reply.header('retry-after', String(RETRY_AFTER_S));
      throw new ApiError('REPORT_NOT_READY', 'the report view is still reading jo.reports');
    }
    const total = mergeReportRows(id, version, reports.rows(id, version));
    const configured = Object.entries(v.journey.nodes);
    const counted = Object.keys(total.nodes).filter((n) => !(n in v.journey.nodes));
    const nodes: NodeReport[] = [
      ...configured.map(([nodeId, node]) => ({ id: nodeId, type: node.type, ...countsOf(total.nodes[nodeId]) })),
      ...counted.map((nodeId) => ({ id: nodeId, type: 'unknown', ...countsOf(total.nodes[nodeId]) })),
    ];
    const byDay = total.entriesByDay ?? {};
    return {
      journeyId: id,
      version,
      state: v.state,
      entries: total.entries,
      // the UTC day of the API's clock; the days themselves are the engine's (the entry steps' timestamps)
      entriesToday: byDay[ctx.now().toISOString().slice(0, 10)] ?? 0,
      entriesByDay: byDay,
      // instances running now: the sum of the nodes' `waiting`
      active: nodes.reduce((a, n) => a + n.waiting, 0),
      exits: total.exits,
      goals: total.goals,
      conversionRate: total.entries === 0 ? null : total.goals / total.entries,
      nodes,
    };
  });
}

function countsOf(n: NodeCounts | undefined): NodeCounts & Pick<NodeReport, 'recentErrors'> {
  const c = n ?? emptyNodeCounts();
  return { ...c, recentErrors: c.recentErrors ?? [] };
}
