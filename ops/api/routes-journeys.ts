/**
 * Journey routes: `PUT /v1/journeys/:id` saves a new draft version; `GET /v1/journeys[/:id[/versions/:version]]`;
 * `POST /v1/journeys/:id/{publish,close,stop,pause,resume}` move versions through the lifecycle; `POST /v1/journeys/validate`
 * compiles without saving. Every write goes through `updateJourney` (journey-writer.ts): version configs under
 * their own keys, a small `journey/<id>` record, old versions pruned.
 */
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import { compileJourney, JourneyConfig, type CompiledJourney, type JourneyRecord } from '../../schemas/index.js';
import { invalid, notFound } from './errors.js';
import { pathId, pathVersion, resourceBody, versionBody, type RouteContext } from './context.js';
import { updateJourney } from './journey-writer.js';
import { close, latestDraft, pause, publish, resume, saveDraft, stop, summary } from './lifecycle.js';

const tags = ['journeys'];
const params = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };
const versionParams = {
  type: 'object',
  properties: { id: { type: 'string' }, version: { type: 'string' } },
  required: ['id', 'version'],
};
const VersionBody = Type.Object(
  { version: Type.Optional(Type.Integer({ minimum: 1 })) },
  { additionalProperties: false },
);

/** What a client learns from a successful compile: what the engine will fetch and wait for. */
export function compiledSummary(c: CompiledJourney) {
  return {
    entryEvent: c.entryEvent,
    timeoutMs: c.timeoutMs,
    references: c.references,
    nodes: Object.fromEntries(
      Object.values(c.nodes).map((n) => [n.id, { type: n.type, datasources: n.datasources, waitsFor: n.waitsFor }]),
    ),
  };
}

function compileOrThrow(ctx: RouteContext, journey: unknown, version?: number): CompiledJourney {
  const r = compileJourney(journey, ctx.store.view, { ...ctx.compile, ...(version ? { version } : {}) });
  if (!r.ok) throw invalid(r.errors, 'the journey is invalid');
  return r.compiled;
}

function record(ctx: RouteContext, id: string): JourneyRecord {
  const rec = ctx.store.view.journey(id);
  if (!rec) throw notFound(`journey "${id}"`);
  return rec;
}

type Transition = (rec: JourneyRecord, version: number | undefined, now: string) => JourneyRecord;

function registerTransition(app: FastifyInstance, ctx: RouteContext, name: string, summaryText: string, t: Transition) {
  app.post(
    `/v1/journeys/:id/${name}`,
    { schema: { tags, params, body: VersionBody, summary: summaryText } },
    async (req) => {
      const id = pathId(req.params);
      const version = versionBody(req.body);
      const now = ctx.now().toISOString();
      record(ctx, id);
      return updateJourney(ctx, id, (cur) => {
        if (!cur) throw notFound(`journey "${id}"`);
        return t(cur, version, now);
      });
    },
  );
}

function registerReads(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/v1/journeys', { schema: { tags, summary: 'List journeys with their versions' } }, async () => ({
    items: ctx.store.view.journeys().map(summary),
  }));

  app.get('/v1/journeys/:id', { schema: { tags, params, summary: 'A journey with every version' } }, async (req) =>
    record(ctx, pathId(req.params)),
  );

  app.get(
    '/v1/journeys/:id/versions/:version',
    { schema: { tags, params: versionParams, summary: 'One version' } },
    async (req) => {
      const id = pathId(req.params);
      const version = pathVersion(req.params);
      const v = ctx.store.view.version(id, version);
      if (!v) throw notFound(`version ${version} of journey "${id}"`);
      return v;
    },
  );
}

/** Reads, validate, save (PUT) and the lifecycle transitions of journeys. */
export function registerJourneyRoutes(app: FastifyInstance, ctx: RouteContext): void {
  registerReads(app, ctx);
  app.post(
    '/v1/journeys/validate',
    { schema: { tags, body: JourneyConfig, summary: 'Compile without saving' } },
    async (req) => ({
      valid: true,
      compiled: compiledSummary(compileOrThrow(ctx, req.body)),
    }),
  );

  app.put(
    '/v1/journeys/:id',
    { schema: { tags, params, body: JourneyConfig, summary: 'Save a new draft version' } },
    async (req, reply) => {
      const id = pathId(req.params);
      const body = resourceBody(req.body, id);
      const compiled = compileOrThrow(ctx, body);
      const now = ctx.now().toISOString();
      const rec = await updateJourney(ctx, id, (cur) => saveDraft(cur, body as JourneyConfig, now));
      const v = rec.versions[rec.versions.length - 1];
      return reply.code(201).send({ id, version: v?.version, state: v?.state, compiled: compiledSummary(compiled) });
    },
  );

  registerTransition(
    app,
    ctx,
    'publish',
    'Make a draft live (default: the newest draft); closes the live one',
    (rec, version, now) => {
      const v = version ?? latestDraft(rec);
      const found = rec.versions.find((x) => x.version === v);
      // resources may have changed since the draft was saved: publish only what still compiles
      if (found?.state === 'draft') compileOrThrow(ctx, found.journey, v);
      return publish(rec, v, now);
    },
  );
  registerTransition(app, ctx, 'close', 'Close the live version to new entries', close);
  registerTransition(app, ctx, 'stop', 'Stop live and closed versions: running instances end', stop);
  registerTransition(app, ctx, 'pause', 'Pause: no entries; instances halt at their next node', pause);
  registerTransition(app, ctx, 'resume', 'Resume a paused journey: halted instances go on', resume);
}
