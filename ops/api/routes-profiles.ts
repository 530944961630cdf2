/**
 * Profile routes.
 * - `GET /v1/profiles/:key` (read): where the profile stands in every journey, answered by the pipeline process
 *   owning its partition (profile-lookup.ts); 503 with `Retry-After` while nobody can answer for it.
 * - `GET /v1/internal/profiles/:key` (read; what the lookup asks): this process's own answer, from its stores.
 * - `POST /v1/profiles/:key/journeys/:journeyId/exit` (admin) writes a manual-exit control record to
 *   `jo.controls`; the task owning the profile ends its running instance of that journey once (`ended`,
 *   `manualExit`), in the transaction that writes the step record. A repeated request is harmless: the engine
 *   finds no running instance and only counts it.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError, invalid, notFound } from './errors.js';
import type { RouteContext } from './context.js';
import type { ProfileControls } from './profile-controls.js';
import type { LocalProfileQuery, ProfileAnswer, ProfileLookup } from './profile-lookup.js';
import { ID_PATTERN, type ConfigProblem, type ControlRecord } from '../../schemas/index.js';

const tags = ['profiles'];
const MAX_KEY_LENGTH = 1024;
const ID_RE = new RegExp(ID_PATTERN);
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;
/** Seconds a client should wait before asking again about a partition nobody can answer for. */
const RETRY_AFTER_S = 1;
const keyParams = { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] };

export interface ProfileRoutesOptions {
  /** Writer of `jo.controls`; without it the exit route answers 503 `CONTROLS_UNAVAILABLE`. */
  readonly controls?: ProfileControls;
  /** Finds and asks the owner of a profile's partition; without it `GET /v1/profiles/:key` answers 503. */
  readonly lookup?: ProfileLookup;
  /** This process's pipeline; without it the internal route answers 503 (`notOwner`). */
  readonly local?: LocalProfileQuery;
}

/** `:key` is a profile key, `<namespace>:<id>` (percent-encoded in the URL when the id needs it). */
export function profileKeyParam(params: unknown): string {
  const key = (params as { key?: unknown }).key;
  if (typeof key === 'string' && key.length <= MAX_KEY_LENGTH && /^[^:]+:.+$/s.test(key)) return key;
  throw invalid(
    [{ pointer: '/key', code: 'SCHEMA_PATTERN', message: 'the profile key must be `<namespace>:<id>` (≤ 1024 chars)' }],
    'bad path',
  );
}

function journeyIdParam(params: unknown): string {
  const id = (params as { journeyId?: unknown }).journeyId;
  if (typeof id === 'string' && ID_RE.test(id)) return id;
  const problem: ConfigProblem = {
    pointer: '/journeyId',
    code: 'SCHEMA_PATTERN',
    message: `journey id must match ${ID_PATTERN}`,
  };
  throw invalid([problem], 'bad path');
}

function registerExit(app: FastifyInstance, ctx: RouteContext, opts: ProfileRoutesOptions): void {
  app.post(
    '/v1/profiles/:key/journeys/:journeyId/exit',
    {
      schema: {
        tags,
        summary: 'Take one profile out of a journey: its running instance ends (`manualExit`); repeats are harmless',
        params: {
          type: 'object',
          properties: { key: { type: 'string' }, journeyId: { type: 'string' } },
          required: ['key', 'journeyId'],
        },
      },
    },
    async (req, reply) => {
      const key = profileKeyParam(req.params);
      const journeyId = journeyIdParam(req.params);
      if (!ctx.store.view.journey(journeyId)) throw notFound(`journey "${journeyId}"`);
      if (!opts.controls) throw new ApiError('CONTROLS_UNAVAILABLE', 'this API has no writer of jo.controls');
      const given = req.headers['idempotency-key'];
      const controlId = typeof given === 'string' && IDEMPOTENCY_KEY.test(given) ? given : randomUUID();
      const record: ControlRecord = {
        type: 'exit',
        controlId,
        journeyId,
        requestedAt: ctx.now().toISOString(),
      };
      const at = await opts.controls.write(key, record);
      return reply.code(202).send({ profileKey: key, journeyId, controlId, partition: at.partition });
    },
  );
}

function unavailable(reply: FastifyReply, key: string, a: ProfileAnswer & { status: 'unavailable' }) {
  return reply
    .header('retry-after', String(RETRY_AFTER_S))
    .code(503)
    .send({
      code: 'PROFILE_UNAVAILABLE',
      message: `no process can answer for profile "${key}" right now: ${a.reason}`,
      profileKey: key,
      ...(a.partition === undefined ? {} : { partition: a.partition }),
      reason: a.reason,
    });
}

function answerBody(key: string, a: ProfileAnswer & { status: 'ok' }) {
  return {
    profileKey: key,
    partition: a.partition,
    ...(a.answeredBy ? { answeredBy: a.answeredBy } : {}),
    journeys: a.journeys,
  };
}

/** `GET /v1/internal/profiles/:key`: this process's answer from its own stores (asked by `GET /v1/profiles/:key`). */
export function registerInternalProfileRoute(app: FastifyInstance, local: LocalProfileQuery | undefined): void {
  app.get('/v1/internal/profiles/:key', { schema: { hide: true, params: keyParams } }, async (req, reply) => {
    const key = profileKeyParam(req.params);
    const a: ProfileAnswer = local ? await local.query(key) : { status: 'unavailable', reason: 'notOwner' };
    if (a.status === 'unavailable') return unavailable(reply, key, a);
    return answerBody(key, a);
  });
}

function registerLookup(app: FastifyInstance, opts: ProfileRoutesOptions): void {
  app.get(
    '/v1/profiles/:key',
    {
      schema: {
        tags,
        params: keyParams,
        summary:
          "Where the profile stands in every journey, from the owning pipeline process's state (503 + Retry-After while its partition is unowned or restoring)",
      },
    },
    async (req, reply) => {
      const key = profileKeyParam(req.params);
      const a: ProfileAnswer = opts.lookup
        ? await opts.lookup.lookup(key, req.headers.authorization)
        : { status: 'unavailable', reason: 'this API has no hosts directory' };
      if (a.status === 'unavailable') return unavailable(reply, key, a);
      return answerBody(key, a);
    },
  );
}

/** The profile routes: lookup (public and internal) and manual exit. */
export function registerProfileRoutes(app: FastifyInstance, ctx: RouteContext, opts: ProfileRoutesOptions): void {
  registerLookup(app, opts);
  registerInternalProfileRoute(app, opts.local);
  registerExit(app, ctx, opts);
}
