/**
 * Test mode: `POST /v1/journeys/:id/versions/:version/test` runs one version (drafts included) on a simulated
 * clock with canned endpoints and answers with what it would have done — trails, commands not sent, timers,
 * per-node counts, discards, errors. Admin only (it runs journey code on the API's CPU); it writes nothing to any
 * topic and calls no endpoint. Bodies are bounded (`TEST_*` codes) so one request cannot occupy the API for long.
 */
import type { FastifyInstance } from 'fastify';
import {
  compileJourney,
  DEFAULT_JOURNEY_TEST_LIMITS,
  JourneyTestRequest,
  journeyTestProblems,
  type ActionConfig,
  type DataSourceConfig,
  type EventConfig,
  type JourneyTestLimits,
} from '../../schemas/index.js';
import { JourneyTestError, runJourneyTest, SimulationTooLargeError } from '../../processors/index.js';
import { invalid, notFound } from './errors.js';
import { pathId, pathVersion, type RouteContext } from './context.js';

const versionParams = {
  type: 'object',
  properties: { id: { type: 'string' }, version: { type: 'string' } },
  required: ['id', 'version'],
};

/** Registers the test route; `limits` bound each request (defaults: `DEFAULT_JOURNEY_TEST_LIMITS`). */
export function registerTestRoutes(
  app: FastifyInstance,
  ctx: RouteContext,
  limits: JourneyTestLimits = DEFAULT_JOURNEY_TEST_LIMITS,
): void {
  app.post(
    '/v1/journeys/:id/versions/:version/test',
    {
      schema: {
        tags: ['journeys'],
        params: versionParams,
        body: JourneyTestRequest,
        summary: 'Run a version (draft or not) on a simulated clock with canned responses; nothing is sent',
      },
    },
    async (req) => {
      const id = pathId(req.params);
      const version = pathVersion(req.params);
      const view = ctx.store.view;
      const v = view.version(id, version);
      if (!v) throw notFound(`version ${version} of journey "${id}"`);
      const problems = journeyTestProblems(req.body, limits);
      if (problems.length > 0) throw invalid(problems, 'the test request is invalid');
      // resources may have changed since the version was saved: test only what still compiles
      const compiled = compileJourney(v.journey, view, { ...ctx.compile, version });
      if (!compiled.ok) throw invalid(compiled.errors, 'the journey version does not compile');
      try {
        return await runJourneyTest({
          resources: {
            events: view.list('event') as EventConfig[],
            actions: view.list('action') as ActionConfig[],
            datasources: view.list('datasource') as DataSourceConfig[],
          },
          journey: { id, version, state: v.state },
          config: v.journey,
          request: req.body as JourneyTestRequest,
          limits,
        });
      } catch (err) {
        if (err instanceof JourneyTestError) throw invalid(err.problems, 'the test cannot run as asked');
        if (err instanceof SimulationTooLargeError)
          throw invalid(
            [{ pointer: '', code: 'TEST_SIMULATION_TOO_LARGE', message: err.message }],
            'the test is too large',
          );
        throw err;
      }
    },
  );
}
