/**
 * The journey pipeline as an engine component: the processors' topology run by the Kafka runtime (StreamsApp)
 * with RocksDB state under `stateDir`, the data-source client from connectors/, and Avro decoding through the
 * schema registry when one is configured.
 */
import { restoreChangelogs, StreamsApp } from '../topology/index.js';
import { buildJourneyTopology } from '../processors/index.js';
import { createAvroRegistry } from '../schemas/index.js';
import { createDataSourceClient } from '../connectors/index.js';
import type { Component, SharedParts } from './engine.js';

export function pipelineComponent(shared: SharedParts): Component {
  const { config, kafka, metrics, logger } = shared;
  const datasources = createDataSourceClient({ metrics });
  const registry = config.schemaRegistryUrl ? createAvroRegistry(config.schemaRegistryUrl) : undefined;
  const { topology } = buildJourneyTopology({
    topicPrefix: config.topicPrefix,
    partitions: config.partitions,
    metrics,
    fetchDatasource: (ds, data) => datasources.fetch(ds, data),
    ...(registry ? { decodeAvro: (buf: Buffer) => registry.decode(buf) } : {}),
    limits: { maxEventBytes: config.maxEventBytes },
  });
  const app = new StreamsApp({
    applicationId: config.applicationId,
    instanceId: config.instanceId,
    topology,
    kafka,
    metrics,
    stateDir: config.stateDir,
    restorer: restoreChangelogs,
    dlqTopic: `${config.topicPrefix}dlq`,
    processingGuarantee: config.processingGuarantee === 'exactly_once' ? 'exactly-once' : 'at-least-once',
    commitIntervalMs: config.commitIntervalMs,
    log: (level, msg, extra) => logger[level]({ component: 'pipeline', ...extra }, msg),
  });
  app.events.on('task-error', (e) =>
    logger.error({ component: 'pipeline', task: e.taskId, err: e.error }, 'task error'),
  );
  return {
    name: 'pipeline',
    start: () => app.start(),
    stop: async () => {
      await app.close();
      await datasources.close();
    },
    ready: () => app.state === 'running',
  };
}
