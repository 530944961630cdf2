/**
 * Profile routes: `POST /v1/profiles/:key/journeys/:journeyId/exit` (admin) writes a manual-exit control record to
 * `jo.controls`; the task owning the profile ends its running instance of that journey once (`ended`,
 * `manualExit`), in the transaction that writes the step record. A repeated request is harmless: the engine finds
 * no running instance and only counts it.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError, invalid, notFound } from './errors.js';
import type { RouteContext } from './context.js';
import type { ProfileControls } from './profile-controls.js';
import { ID_PATTERN, type ConfigProblem, type ControlRecord } from '../../schemas/index.js';

const tags = ['profiles'];
const MAX_KEY_LENGTH = 1024;
const ID_RE = new RegExp(ID_PATTERN);
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

export interface ProfileRoutesOptions {
  /** Writer of `jo.controls`; without it the exit route answers 503 `CONTROLS_UNAVAILABLE`. */
  readonly controls?: ProfileControls;
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

/** The profile routes (exit today). */
export function registerProfileRoutes(app: FastifyInstance, ctx: RouteContext, opts: ProfileRoutesOptions): void {
  registerExit(app, ctx, opts);
}
