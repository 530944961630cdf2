/**
 * The process's HTTP server as the composition root builds it: the admin API (with profile lookup through the
 * hosts directory and manual exit), or — when this process runs without the API — health, readiness, metrics and
 * the pipeline's internal profile route.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { HostDirectory } from '../topology/index.js';
import { topicNames } from '../schemas/index.js';
import {
  buildApi,
  DirectoryProfileLookup,
  KafkaProfileControls,
  KafkaReportView,
  registerInternalProfileRoute,
  TokenAuth,
  type LocalProfileQuery,
} from './api/index.js';
import { STORES } from '../processors/index.js';
import { policyOf, type EngineConfig } from './engine-config.js';
import type { PromMetrics } from './metrics.js';
import { portTaken } from './dev-ports.js';
import type { Component, SharedParts } from './component.js';

/** Listens on the configured address; a taken port is PORT_IN_USE naming `JO_API_PORT`. */
export async function listen(app: FastifyInstance, config: Readonly<EngineConfig>): Promise<string> {
  try {
    return await app.listen({ host: config.api.host, port: config.api.port });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EADDRINUSE') throw err;
    const port = { what: 'admin API', host: config.api.host, port: config.api.port, variable: 'JO_API_PORT' };
    throw portTaken(port, err);
  }
}

export interface Server {
  readonly app: FastifyInstance;
  readonly controls?: KafkaProfileControls;
  readonly reports?: KafkaReportView;
  readonly directory?: HostDirectory;
}

/**
 * The process's HTTP server: the admin API (with profile lookup through the hosts directory and manual exit), or
 * without it health, metrics and the pipeline's internal profile route.
 */
export async function buildServer(
  shared: SharedParts,
  components: Component[],
  waiting: () => string[],
): Promise<Server> {
  const { config, kafka, metrics } = shared;
  const localProfiles = components.find((c) => c.profiles)?.profiles;
  if (!config.only.includes('api')) return { app: healthServer(waiting, metrics, config, localProfiles) };
  const controls = KafkaProfileControls.open({
    brokers: config.kafkaBrokers,
    topic: topicNames(config.topicPrefix).controls,
  });
  const reports = KafkaReportView.open({
    brokers: config.kafkaBrokers,
    topic: topicNames(config.topicPrefix).reports,
  });
  const directory = await HostDirectory.open(kafka, config.applicationId);
  const app = await buildApi({
    controls,
    reports,
    profileLookup: new DirectoryProfileLookup({ directory, store: STORES.instances }),
    ...(localProfiles ? { localProfiles } : {}),
    store: shared.configStore,
    tokens: config.api.tokens,
    policy: policyOf(config),
    journeyVersionsKept: config.journeyVersionsKept,
    waiting,
    metrics: () => metrics.text(),
  });
  return { app, controls, reports, directory };
}

/** `/healthz`, `/readyz` and `/metrics` (and the pipeline's internal profile route) for processes without the API. */
function healthServer(
  waiting: () => string[],
  metrics: PromMetrics,
  config: Readonly<EngineConfig>,
  localProfiles: LocalProfileQuery | undefined,
): FastifyInstance {
  const app = Fastify({ logger: false });
  const auth = new TokenAuth(config.api.tokens);
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/v1/')) return;
    if (!auth.roleOf(req.headers.authorization)) {
      void reply.code(401).send({ code: 'UNAUTHORIZED', message: 'a valid bearer token is required' });
      return reply;
    }
  });
  registerInternalProfileRoute(app, localProfiles);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const parts = waiting();
    return parts.length === 0 ? { status: 'ready' } : reply.code(503).send({ status: 'not ready', waiting: parts });
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.text()));
  return app;
}
