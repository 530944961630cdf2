/**
 * `PUT|GET|DELETE /v1/{events,datasources,actions,caps}/:id` and `GET /v1/{events,datasources,actions,caps}`.
 * A PUT replaces the resource after full validation (`POST /v1/{events,datasources,actions}/validate` runs the same
 * checks and saves nothing); a DELETE is refused (409) while a live journey uses it.
 */
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import {
  ActionConfig,
  CapConfig,
  DataSourceConfig,
  EventConfig,
  configKey,
  pointer,
  resourceValidators,
  templatePaths,
  BUILTIN_DATASOURCES,
  type ConfigProblem,
  type JourneyRefs,
  type ResourceKind,
  type ResourcePolicy,
} from '../../schemas/index.js';
import { conflict, invalid, notFound } from './errors.js';
import { pathId, resourceBody, type RouteContext } from './context.js';

type Kind = Exclude<ResourceKind, 'journey'>;

export const RESOURCE_ROUTES: ReadonlyArray<{ plural: string; kind: Kind; schema: object }> = [
  { plural: 'events', kind: 'event', schema: EventConfig },
  { plural: 'datasources', kind: 'datasource', schema: DataSourceConfig },
  { plural: 'actions', kind: 'action', schema: ActionConfig },
  { plural: 'caps', kind: 'cap', schema: CapConfig },
];

/** Data sources an action's templates read must exist (so journeys using it can compile). */
function templateRefs(
  kind: Kind,
  body: Record<string, unknown>,
  view: Pick<JourneyRefs, 'datasource'>,
): ConfigProblem[] {
  if (kind !== 'action') return [];
  const fields: Array<[string, unknown]> = [
    ['/url', body['url']],
    ['/body', body['body']],
    ...Object.entries((body['headers'] ?? {}) as Record<string, unknown>).map(([h, v]): [string, unknown] => [
      pointer('/headers', h),
      v,
    ]),
  ];
  const out: ConfigProblem[] = [];
  for (const [at, text] of fields)
    for (const path of typeof text === 'string' ? templatePaths(text) : []) {
      const [root, id] = path.split('.');
      if (root === 'datasources' && id && !BUILTIN_DATASOURCES.has(id) && !view.datasource(id))
        out.push({ pointer: at, code: 'REF_UNKNOWN_DATASOURCE', message: `no data source "${id}"` });
    }
  return out;
}

/**
 * Validates a resource body as the API would on PUT; returns the problems (empty when valid). With `policy`, the
 * outbound and secret policies apply too (the API always passes one; so does `jo validate`, from the environment).
 */
export function resourceProblems(
  kind: Kind,
  body: Record<string, unknown>,
  view: Pick<JourneyRefs, 'datasource'>,
  policy?: ResourcePolicy,
): ConfigProblem[] {
  const problems = resourceValidators[kind](body, policy);
  return problems.length > 0 ? problems : templateRefs(kind, body, view);
}

export function registerResourceRoutes(app: FastifyInstance, ctx: RouteContext): void {
  for (const { plural, kind, schema } of RESOURCE_ROUTES) {
    const tags = [plural];
    const params = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };

    app.get(`/v1/${plural}`, { schema: { tags, summary: `List ${plural}` } }, async () => ({
      items: ctx.store.view.list(kind),
    }));

    app.get(`/v1/${plural}/:id`, { schema: { tags, params, summary: `Get one ${kind}` } }, async (req) => {
      const id = pathId(req.params);
      const r = ctx.store.view.resource(kind, id);
      if (!r) throw notFound(`${kind} "${id}"`);
      return r;
    });

    app.post(
      `/v1/${plural}/validate`,
      { schema: { tags, body: schema, summary: `Check a ${kind} as PUT would, without saving` } },
      async (req) => {
        const body = req.body;
        if (body === null || typeof body !== 'object' || Array.isArray(body))
          throw invalid([{ pointer: '', code: 'SCHEMA_TYPE', message: 'body must be a JSON object' }]);
        const problems = resourceProblems(kind, body as Record<string, unknown>, ctx.store.view);
        if (problems.length > 0) throw invalid(problems);
        return { valid: true };
      },
    );

    app.put(
      `/v1/${plural}/:id`,
      { schema: { tags, params, body: schema, summary: `Create or replace a ${kind}` } },
      async (req, reply) => {
        const id = pathId(req.params);
        const body = resourceBody(req.body, id);
        const problems = resourceProblems(kind, body, ctx.store.view, ctx.policy);
        if (problems.length > 0) throw invalid(problems);
        const key = configKey(kind, id);
        const created = await ctx.serialize(key, async () => {
          const existed = ctx.store.view.resource(kind, id) !== undefined;
          await ctx.store.write(key, body);
          return !existed;
        });
        return reply.code(created ? 201 : 200).send(body);
      },
    );

    app.delete(
      `/v1/${plural}/:id`,
      { schema: { tags, params, summary: `Delete a ${kind} no live journey uses` } },
      async (req, reply) => {
        const id = pathId(req.params);
        const key = configKey(kind, id);
        await ctx.serialize(key, async () => {
          if (!ctx.store.view.resource(kind, id)) throw notFound(`${kind} "${id}"`);
          const users = ctx.store.view.usedByLive(kind, id);
          if (users.length > 0)
            throw conflict('RESOURCE_IN_USE', `${kind} "${id}" is used by live journeys: ${users.join(', ')}`, users);
          await ctx.store.write(key, null);
        });
        return reply.code(204).send();
      },
    );
  }
}
