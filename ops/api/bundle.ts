/**
 * Import/export of a journey version with everything it references (events, data sources, actions), so a
 * journey can move between environments. Secrets travel as references only (validators refuse literals).
 * `GET /v1/journeys/:id/versions/:version/export` and `POST /v1/import[?overwrite=true]` (imports as a new draft).
 */
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import { Type, type Static } from '@sinclair/typebox';
import {
  compileJourney,
  configKey,
  pointer,
  schemaProblems,
  type ActionConfig,
  type ConfigProblem,
  type ConfigView,
  type DataSourceConfig,
  type EventConfig,
  type JourneyConfig,
  type JourneyRefs,
  type ResourceKind,
} from '../../schemas/index.js';
import { conflict, invalid, notFound } from './errors.js';
import { pathId, pathVersion, type RouteContext } from './context.js';
import { updateJourney } from './journey-writer.js';
import { resourceProblems } from './routes-resources.js';
import { saveDraft } from './lifecycle.js';

export const BUNDLE_FORMAT = 'jo.journey-bundle/1';

export const JourneyBundle = Type.Object(
  {
    format: Type.Literal(BUNDLE_FORMAT),
    exportedAt: Type.Optional(Type.String({ maxLength: 64 })),
    source: Type.Optional(Type.Object({ id: Type.String(), version: Type.Integer() })),
    journey: Type.Unknown(),
    events: Type.Array(Type.Unknown(), { maxItems: 200 }),
    datasources: Type.Array(Type.Unknown(), { maxItems: 200 }),
    actions: Type.Array(Type.Unknown(), { maxItems: 200 }),
  },
  { additionalProperties: false },
);
export type JourneyBundle = Static<typeof JourneyBundle>;

const KINDS = [
  ['events', 'event'],
  ['datasources', 'datasource'],
  ['actions', 'action'],
] as const;

/** The bundle of one version: its journey and the current definition of every resource it references. */
export function exportBundle(view: ConfigView, id: string, version: number, now: Date): JourneyBundle {
  const v = view.version(id, version);
  const c = view.compiled(id, version);
  if (!v || !c) throw notFound(`version ${version} of journey "${id}"`);
  const missing: string[] = [];
  const take = <T>(kind: Exclude<ResourceKind, 'journey'>, ids: readonly string[]): T[] =>
    ids.flatMap((r) => {
      const found = view.resource(kind, r);
      if (!found) missing.push(configKey(kind, r));
      return found ? [found as T] : [];
    });
  const bundle: JourneyBundle = {
    format: BUNDLE_FORMAT,
    exportedAt: now.toISOString(),
    source: { id, version },
    journey: v.journey,
    events: take<EventConfig>('event', c.references.events),
    datasources: take<DataSourceConfig>('datasource', c.references.datasources),
    actions: take<ActionConfig>('action', c.references.actions),
  };
  if (missing.length > 0)
    throw conflict('EXPORT_INCOMPLETE', `resources of this version were deleted since: ${missing.join(', ')}`);
  return bundle;
}

/** Lookups that see the bundle's resources over the current ones. */
function overlay(view: ConfigView, b: JourneyBundle): JourneyRefs {
  const by = <T extends { id: string }>(xs: unknown[]) =>
    new Map(
      xs
        .filter((x): x is T => x !== null && typeof x === 'object' && typeof (x as { id?: unknown }).id === 'string')
        .map((x) => [x.id, x]),
    );
  const ev = by<EventConfig>(b.events);
  const ds = by<DataSourceConfig>(b.datasources);
  const ac = by<ActionConfig>(b.actions);
  return {
    event: (i) => ev.get(i) ?? view.event(i),
    datasource: (i) => ds.get(i) ?? view.datasource(i),
    action: (i) => ac.get(i) ?? view.action(i),
  };
}

function bundleProblems(view: ConfigView, body: unknown, ctx: RouteContext): ConfigProblem[] {
  const shape = schemaProblems(JourneyBundle, body);
  if (shape.length > 0) return shape;
  const b = body as JourneyBundle;
  const out: ConfigProblem[] = [];
  const refs = overlay(view, b);
  for (const [field, kind] of KINDS)
    b[field].forEach((r, i) => {
      const rec = (r !== null && typeof r === 'object' ? r : {}) as Record<string, unknown>;
      for (const p of resourceProblems(kind, rec, refs, ctx.policy))
        out.push({ ...p, pointer: pointer(`/${field}`, i) + p.pointer });
    });
  if (out.length > 0) return out;
  const r = compileJourney(b.journey, refs, ctx.compile);
  return r.ok ? [] : r.errors.map((p) => ({ ...p, pointer: `/journey${p.pointer}` }));
}

/** JSON with sorted keys, to tell an identical resource from a different one with the same id. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

async function importBundle(ctx: RouteContext, body: unknown, overwrite: boolean) {
  const view = ctx.store.view;
  const problems = bundleProblems(view, body, ctx);
  if (problems.length > 0) throw invalid(problems, 'the bundle is invalid');
  const b = body as JourneyBundle;
  const writes: Array<{ key: string; value: unknown }> = [];
  const conflicts: string[] = [];
  for (const [field, kind] of KINDS)
    for (const r of b[field] as Array<{ id: string }>) {
      const cur = view.resource(kind, r.id);
      if (cur && canonical(cur) === canonical(r)) continue;
      if (cur && !overwrite) conflicts.push(configKey(kind, r.id));
      writes.push({ key: configKey(kind, r.id), value: r });
    }
  if (conflicts.length > 0)
    throw conflict(
      'IMPORT_CONFLICT',
      `different resources exist with these ids (use ?overwrite=true): ${conflicts.join(', ')}`,
    );
  // resources first: once the journey record lands, everything it references is already in the topic
  for (const w of writes) await ctx.serialize(w.key, () => ctx.store.write(w.key, w.value));
  const j = b.journey as JourneyConfig;
  const now = ctx.now().toISOString();
  const rec = await updateJourney(ctx, j.id, (cur) => saveDraft(cur, j, now));
  return { id: j.id, version: rec.versions[rec.versions.length - 1]?.version, written: writes.map((w) => w.key) };
}

export function registerBundleRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const versionParams = {
    type: 'object',
    properties: { id: { type: 'string' }, version: { type: 'string' } },
    required: ['id', 'version'],
  };
  app.get(
    '/v1/journeys/:id/versions/:version/export',
    { schema: { tags: ['journeys'], params: versionParams, summary: 'Export a version with what it references' } },
    async (req) => exportBundle(ctx.store.view, pathId(req.params), pathVersion(req.params), ctx.now()),
  );
  app.post(
    '/v1/import',
    {
      schema: {
        tags: ['journeys'],
        body: JourneyBundle,
        querystring: { type: 'object', properties: { overwrite: { type: 'string', enum: ['true', 'false'] } } },
        summary: 'Import a bundle: resources, then the journey as a new draft',
      },
    },
    async (req, reply) => {
      const overwrite = (req.query as { overwrite?: unknown }).overwrite === 'true';
      return reply.code(201).send(await importBundle(ctx, req.body, overwrite));
    },
  );
}
