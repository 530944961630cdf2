/**
 * The composition root: builds every part of the engine from one frozen EngineConfig and wires them together —
 * the journey pipeline (StreamsApp running the processors' topology), the action connectors, the admin API,
 * Prometheus metrics and health. `--only` picks a subset so the parts can be scaled separately.
 * Nothing else in the code base constructs these parts for production.
 */
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { createKafka, HostDirectory, type KafkaClient, type OutputCompression } from '../topology/index.js';
import { topicCatalog, topicNames, type ConfigView } from '../schemas/index.js';
import {
  HttpClient,
  SecretResolver,
  createCampaignConnector,
  createHttpActionConnector,
  type CommandConsumer,
} from '../connectors/index.js';
import {
  buildApi,
  DirectoryProfileLookup,
  KafkaConfigStore,
  KafkaProfileControls,
  KafkaReportView,
  registerInternalProfileRoute,
  TokenAuth,
  type LocalProfileQuery,
} from './api/index.js';
import { STORES } from '../processors/index.js';
import { policyOf, type EngineConfig } from './engine-config.js';
import type { Logger } from './logger.js';
import { PromMetrics } from './metrics.js';
import { ensureTopics } from './topics.js';
import { portTaken } from './dev-ports.js';
import { kafkaLogSink } from './kafka-log.js';

/** One independently started and stopped part of the engine. */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  /** Drains in-flight work and releases resources; must be safe to call once after a failed start. */
  stop(): Promise<void>;
  /** True once the part is doing its work (for `/readyz`). */
  ready(): boolean;
  /** The journey pipeline answers for the profiles whose partitions it owns (`GET /v1/internal/profiles/:key`). */
  readonly profiles?: LocalProfileQuery;
}

export interface EngineDeps {
  readonly logger: Logger;
  readonly metrics?: PromMetrics;
  /** Extra components (the journey pipeline) built by the caller with the shared pieces. */
  readonly extra?: (shared: SharedParts) => Component[];
}

/** Pieces shared by components of one process. */
export interface SharedParts {
  readonly config: Readonly<EngineConfig>;
  readonly kafka: KafkaClient;
  readonly metrics: PromMetrics;
  readonly logger: Logger;
  /** The materialized `jo.config` view (one consumer per process). */
  readonly configView: () => ConfigView;
  /** The config topic behind the view (the API writes through it). */
  readonly configStore: KafkaConfigStore;
  /**
   * The address other processes reach this one's HTTP server on (`JO_ADVERTISED_URL`, else the address it
   * listens on; undefined until it listens).
   */
  readonly advertisedUrl: () => string | undefined;
}

export interface Engine {
  /** `http://host:port` of the API (or of the health/metrics server with `--only` without api). */
  readonly address: string;
  readonly metrics: PromMetrics;
  readonly configStore: KafkaConfigStore;
  isReady(): boolean;
  /** Stops every part within `timeoutMs` (`shutdownTimeoutMs`); resolves false when it had to give up waiting. */
  stop(timeoutMs?: number): Promise<boolean>;
}

function connectorComponents(shared: SharedParts): Component[] {
  const { config, kafka, metrics } = shared;
  const policy = policyOf(config);
  const http = new HttpClient({ outbound: policy.outbound, secrets: new SecretResolver({ policy: policy.secrets }) });
  // The connectors share the HTTP pools: closed once both have stopped (they stop in parallel).
  let using = 2;
  const release = async () => {
    if (--using === 0) await http.close();
  };
  const common = {
    kafka,
    http,
    metrics,
    topicPrefix: config.topicPrefix,
    actionConfig: (id: string) => shared.configView().action(id),
  };
  const make = (name: string, build: () => CommandConsumer): Component => {
    let consumer: CommandConsumer | undefined;
    let running = false;
    return {
      name,
      start: async () => {
        consumer = build();
        await consumer.start();
        running = true;
      },
      stop: async () => {
        const was = running;
        running = false;
        await consumer?.stop();
        if (was) await release();
      },
      ready: () => running && consumer?.consumerHealthy === true,
    };
  };
  return [
    make('connector-http', () =>
      createHttpActionConnector({
        ...common,
        groupId: `${config.applicationId}-connector-http`,
        transactionalId: `${config.applicationId}-connector-http-${config.instanceId}`,
      }),
    ),
    make('connector-campaign', () =>
      createCampaignConnector({
        ...common,
        groupId: `${config.applicationId}-connector-campaign`,
        transactionalId: `${config.applicationId}-connector-campaign-${config.instanceId}`,
      }),
    ),
  ];
}

async function provisionTopics(kafka: KafkaClient, config: EngineConfig, logger: Logger): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const res = await ensureTopics(admin, topicCatalog({ prefix: config.topicPrefix, partitions: config.partitions }));
    logger.info({ created: res.created, verified: res.existing.length }, 'topics ready');
  } finally {
    await admin.disconnect();
  }
}

/** Builds and starts the parts `config.only` names; resolves once they are started and the server listens. */
export async function startEngine(config: Readonly<EngineConfig>, deps: EngineDeps): Promise<Engine> {
  const { logger } = deps;
  const metrics = deps.metrics ?? new PromMetrics();
  const kafka = createKafka({
    brokers: config.kafkaBrokers,
    clientId: config.applicationId,
    compression: config.outputCompression as OutputCompression,
    maxDecompressedBatchBytes: config.maxDecompressedBatchBytes,
    // after a SIGKILL, rejoin the pipeline's, connectors' and global store's groups as the same members: no
    // waiting out the dead member's session timeout (docs/operations.md, restart)
    groupMembers: {
      file: join(config.stateDir, 'group-members.json'),
      groups: (g) =>
        g === config.applicationId ||
        (g.startsWith(config.applicationId) &&
          /^-connector-[a-z0-9]+(-queue)?$/.test(g.slice(config.applicationId.length))) ||
        g === `${config.applicationId}-global-${config.instanceId}`,
    },
    // start-up noise (not the leader, coordinator loading, rebalances) at debug unless it persists
    log: kafkaLogSink(logger),
  });
  // uptime marks the process start: `npm run bench -- restart` splits a restart at these lines
  logger.info({ uptimeMs: Math.round(process.uptime() * 1000) }, 'engine starting');
  await provisionTopics(kafka, config, logger);
  const configStore = await KafkaConfigStore.open({
    brokers: config.kafkaBrokers,
    topic: `${config.topicPrefix}config`,
  });
  await configStore.whenReady();
  logger.info('config view ready');
  const listening: { address?: string } = {};
  const shared: SharedParts = {
    config,
    kafka,
    metrics,
    logger,
    configView: () => configStore.view,
    configStore,
    advertisedUrl: () => config.advertisedUrl ?? listening.address,
  };

  const components: Component[] = [
    ...(config.only.includes('connectors') ? connectorComponents(shared) : []),
    ...(deps.extra?.(shared) ?? []),
  ];
  const started: Component[] = [];
  const isReady = () => started.length === components.length && components.every((c) => c.ready());
  const server = await buildServer(shared, components, isReady);
  const { app, directory, controls, reports } = server;

  // Parts are independent (they meet only through topics), so they drain in parallel.
  const stopAll = async (): Promise<void> => {
    await Promise.all(
      started.map(async (c) => {
        try {
          await c.stop();
          logger.info({ component: c.name }, 'stopped');
        } catch (err) {
          logger.error({ component: c.name, err }, 'stop failed');
        }
      }),
    );
  };

  let address = '';
  try {
    // Listening first: the pipeline publishes this address with its partitions as soon as it has an assignment.
    address = await listen(app, config);
    listening.address = address;
    // in parallel: each joins its own consumer group, and a restart should not pay for those joins one by one
    const starts = await Promise.allSettled(
      components.map(async (c) => {
        try {
          await c.start();
        } catch (err) {
          logger.warn({ component: c.name, err }, 'start failed');
          throw err;
        }
        started.push(c);
        logger.info({ component: c.name }, 'started');
      }),
    );
    const failed = starts.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await app.close();
    await stopAll();
    await reports?.close();
    await controls?.close();
    await configStore.close();
    await directory?.close();
    throw err;
  }

  return {
    address,
    metrics,
    configStore,
    isReady,
    stop: async (timeoutMs = config.shutdownTimeoutMs) => {
      const work = (async () => {
        await app.close();
        await stopAll();
        await reports?.close();
        await configStore.close();
        await controls?.close();
        await directory?.close();
      })();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const done = await Promise.race([work.then(() => true as const), timeout]);
      clearTimeout(timer);
      return done;
    },
  };
}

/** Listens on the configured address; a taken port is PORT_IN_USE naming `JO_API_PORT`. */
async function listen(app: FastifyInstance, config: Readonly<EngineConfig>): Promise<string> {
  try {
    return await app.listen({ host: config.api.host, port: config.api.port });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EADDRINUSE') throw err;
    const port = { what: 'admin API', host: config.api.host, port: config.api.port, variable: 'JO_API_PORT' };
    throw portTaken(port, err);
  }
}

interface Server {
  readonly app: FastifyInstance;
  readonly controls?: KafkaProfileControls;
  readonly reports?: KafkaReportView;
  readonly directory?: HostDirectory;
}

/**
 * The process's HTTP server: the admin API (with profile lookup through the hosts directory and manual exit), or
 * without it health, metrics and the pipeline's internal profile route.
 */
async function buildServer(shared: SharedParts, components: Component[], isReady: () => boolean): Promise<Server> {
  const { config, kafka, metrics } = shared;
  const localProfiles = components.find((c) => c.profiles)?.profiles;
  if (!config.only.includes('api')) return { app: healthServer(isReady, metrics, config, localProfiles) };
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
    readiness: isReady,
    metrics: () => metrics.text(),
  });
  return { app, controls, reports, directory };
}

/** `/healthz`, `/readyz` and `/metrics` (and the pipeline's internal profile route) for processes without the API. */
function healthServer(
  isReady: () => boolean,
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
  app.get('/readyz', async (_req, reply) =>
    isReady() ? { status: 'ready' } : reply.code(503).send({ status: 'starting' }),
  );
  app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.text()));
  return app;
}
