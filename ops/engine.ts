/**
 * The composition root: builds every part of the engine from one frozen EngineConfig and wires them together, in
 * this order — the Kafka client, the topics of the contract, the config view, the parts `config.only` names (the
 * journey pipeline, the action connectors), the HTTP server (admin API or health), Prometheus metrics and
 * readiness. `jo start`, `jo topics` and the tests that run an engine in-process all build it here; nothing else
 * in the code base constructs these parts for production.
 */
import { join } from 'node:path';
import { createKafka, type KafkaClient, type OutputCompression } from '../topology/index.js';
import { topicCatalog, topicNames } from '../schemas/index.js';
import { KafkaConfigStore } from './api/index.js';
import type { EngineConfig } from './engine-config.js';
import type { Logger } from './logger.js';
import { PromMetrics } from './metrics.js';
import { ensureTopics, type EnsureTopicsResult } from './topics.js';
import { kafkaLogSink } from './kafka-log.js';
import type { Component, SharedParts } from './component.js';
import { connectorComponents } from './connectors-component.js';
import { pipelineComponent } from './pipeline.js';
import { pipelineWorkersComponent } from './pipeline-workers.js';
import { buildServer, listen, type Server } from './engine-server.js';

export type { Component, SharedParts } from './component.js';

export interface EngineDeps {
  readonly logger: Logger;
  readonly metrics?: PromMetrics;
  /**
   * Parts run beside the ones `config.only` names, built from the same shared pieces. A test hook (a test's own
   * StreamsApp behind `/readyz`); `jo start` passes none.
   */
  readonly moreComponents?: (shared: SharedParts) => Component[];
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

/**
 * The Kafka client of one engine process: after a SIGKILL it rejoins the pipeline's, connectors' and global
 * store's groups as the same members (no waiting out the dead member's session timeout, docs/operations.md), and
 * kafkajs' start-up noise (not the leader, coordinator loading, rebalances) goes to the logger at debug unless it
 * persists.
 */
export function engineKafka(config: Readonly<EngineConfig>, logger: Logger): KafkaClient {
  const app = config.applicationId;
  return createKafka({
    brokers: config.kafkaBrokers,
    clientId: app,
    compression: config.outputCompression as OutputCompression,
    maxDecompressedBatchBytes: config.maxDecompressedBatchBytes,
    groupMembers: {
      file: join(config.stateDir, 'group-members.json'),
      groups: (g) =>
        g === app ||
        (g.startsWith(app) && /^-connector-[a-z0-9]+(-queue)?$/.test(g.slice(app.length))) ||
        g === `${app}-global-${config.instanceId}`,
    },
    log: kafkaLogSink(logger),
  });
}

/** Creates the contract's topics that are missing and verifies the others (each start, and `jo topics`). */
export async function provisionTopics(kafka: KafkaClient, config: Readonly<EngineConfig>): Promise<EnsureTopicsResult> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await ensureTopics(admin, topicCatalog({ prefix: config.topicPrefix, partitions: config.partitions }));
  } finally {
    await admin.disconnect();
  }
}

/** The parts `config.only` names (and a test's own), built from the shared pieces. */
function buildComponents(shared: SharedParts, deps: EngineDeps): Component[] {
  const { only } = shared.config;
  return [
    ...(only.includes('connectors') ? connectorComponents(shared) : []),
    ...(only.includes('pipeline') ? [pipelineComponent(shared)] : []),
    ...(only.includes('pipeline') && shared.config.pipelineWorkers > 1 ? [pipelineWorkersComponent(shared)] : []),
    ...(deps.moreComponents?.(shared) ?? []),
  ];
}

/** Builds and starts the parts `config.only` names; resolves once they are started and the server listens. */
export async function startEngine(config: Readonly<EngineConfig>, deps: EngineDeps): Promise<Engine> {
  const { logger } = deps;
  const metrics = deps.metrics ?? new PromMetrics();
  const kafka = engineKafka(config, logger);
  // uptime marks the process start: `npm run bench -- restart` splits a restart at these lines
  logger.info({ uptimeMs: Math.round(process.uptime() * 1000) }, 'engine starting');
  const topics = await provisionTopics(kafka, config);
  logger.info({ created: topics.created, verified: topics.existing.length }, 'topics ready');
  const configStore = await KafkaConfigStore.open({
    brokers: config.kafkaBrokers,
    topic: topicNames(config.topicPrefix).config,
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
  const components = buildComponents(shared, deps);
  const started: Component[] = [];
  // The parts `/readyz` waits for, by name: not started yet, or started but not doing their work (a consumer down).
  const waiting = () =>
    components
      .filter((c) => !started.includes(c))
      .map((c) => `${c.name} (starting)`)
      .concat(started.filter((c) => !c.ready()).map((c) => c.name));
  const isReady = () => waiting().length === 0;
  const server = await buildServer(shared, components, waiting);
  const closeAll = () => closeEngine(server, started, configStore, logger);
  try {
    // Listening first: the pipeline publishes this address with its partitions as soon as it has an assignment.
    listening.address = await listen(server.app, config);
    await startComponents(components, started, logger);
  } catch (err) {
    await closeAll();
    throw err;
  }
  return {
    address: listening.address,
    metrics,
    configStore,
    isReady,
    stop: (timeoutMs = config.shutdownTimeoutMs) => withinTimeout(closeAll(), timeoutMs),
  };
}

/** In parallel: each part joins its own consumer group, and a restart should not pay for those joins one by one. */
async function startComponents(components: readonly Component[], started: Component[], logger: Logger) {
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
}

/** Closes the server, then the started parts (in parallel: they meet only through topics), then what they shared. */
async function closeEngine(
  server: Server,
  started: readonly Component[],
  configStore: KafkaConfigStore,
  logger: Logger,
): Promise<void> {
  await server.app.close();
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
  await server.reports?.close();
  await server.controls?.close();
  await configStore.close();
  await server.directory?.close();
}

/** Resolves true when `work` finished within `timeoutMs`, false when it had to give up waiting. */
async function withinTimeout(work: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const done = await Promise.race([work.then(() => true as const), timeout]);
  clearTimeout(timer);
  return done;
}
