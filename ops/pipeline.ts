/**
 * The journey pipeline as an engine component: the processors' topology run by the Kafka runtime (StreamsApp)
 * with RocksDB state under `stateDir`, the data-source client from connectors/, and Avro decoding through the
 * schema registry when one is configured.
 */
import { performance } from 'node:perf_hooks';
import { partitionForKey, restoreChangelogs, StreamsApp } from '../topology/index.js';
import {
  buildJourneyTopology,
  describeProfile,
  journeyRuntimeNames,
  STORES,
  viewCatalog,
  type ProfileState,
} from '../processors/index.js';
import { topicNames, type ConfigView } from '../schemas/index.js';
import type { LocalProfileQuery, ProfileAnswer } from './api/index.js';
import { createAvroRegistry } from '../schemas/index.js';
import { createDataSourceClient, HttpClient, SecretResolver } from '../connectors/index.js';
import { policyOf } from './engine-config.js';
import type { Component, SharedParts } from './component.js';
import { opsMetrics } from './metric-catalogue.js';

export function pipelineComponent(shared: SharedParts): Component {
  const { config, kafka, metrics, logger } = shared;
  const policy = policyOf(config);
  const http = new HttpClient({ outbound: policy.outbound, secrets: new SecretResolver({ policy: policy.secrets }) });
  const datasources = createDataSourceClient({ metrics, http });
  const registry = config.schemaRegistryUrl
    ? createAvroRegistry(config.schemaRegistryUrl, { timeoutMs: config.schemaRegistryTimeoutMs })
    : undefined;
  const { topology, view } = buildJourneyTopology({
    topicPrefix: config.topicPrefix,
    partitions: config.partitions,
    metrics,
    verboseSteps: config.verboseSteps,
    fetchDatasource: (ds, data) => datasources.fetch(ds, data),
    ...(registry ? { decodeAvro: (buf: Buffer, signal?: AbortSignal) => registry.decode(buf, signal) } : {}),
    // timers fire on a 250 ms wall-clock punctuator: lateness stays well under a second
    limits: { maxEventBytes: config.maxEventBytes, timerIntervalMs: 250 },
    loopIdle: loopIdleMeter(),
  });
  const app = new StreamsApp({
    applicationId: config.applicationId,
    instanceId: config.instanceId,
    topology,
    kafka,
    metrics,
    stateDir: config.stateDir,
    restorer: restoreChangelogs,
    dlqTopic: topicNames(config.topicPrefix).dlq,
    names: journeyRuntimeNames,
    processingGuarantee: config.processingGuarantee === 'exactly_once' ? 'exactly-once' : 'at-least-once',
    commitIntervalMs: config.commitIntervalMs,
    eagerCommit: config.eagerCommit && config.processingGuarantee === 'exactly_once',
    pipelinedCommits: config.pipelinedCommits,
    transactionScope: config.transactionScope,
    hopCommitDelayMs: config.hopCommitDelayMs < 0 ? false : config.hopCommitDelayMs,
    storeMemory: { cacheBytes: config.storeCacheBytes },
    maxQueuedBytesPerTask: config.taskQueueBytes,
    maxPendingOutputBytesPerTask: config.taskPendingOutputBytes,
    applicationServer: shared.advertisedUrl,
    log: (level, msg, extra) => logger[level]({ component: 'pipeline', ...extra }, msg),
  });
  const storeSize = metrics.gauge(opsMetrics.storeSize);
  // Sampled, not per record: approximateCount is cheap but the gauge needs no more than this.
  const sampleStores = () => {
    const global = app.getStore(STORES.config);
    if (global) storeSize.set({ store: STORES.config, partition: 'global' }, global.approximateCount());
    for (const task of app.runningTasks()) {
      const partition = Number(task.split('_')[1]);
      for (const name of Object.values(STORES).filter((n) => n !== STORES.config)) {
        const store = app.getStore(name, partition);
        if (store) storeSize.set({ store: name, partition }, store.approximateCount());
      }
    }
  };
  let sampler: NodeJS.Timeout | undefined;
  app.events.on('task-error', (e) =>
    logger.error({ component: 'pipeline', task: e.taskId, err: e.error }, 'task error'),
  );
  return {
    name: 'pipeline',
    start: async () => {
      await app.start();
      sampler = setInterval(sampleStores, 10_000);
      sampler.unref();
      sampleStores();
    },
    stop: async () => {
      clearInterval(sampler);
      await app.close();
      await datasources.close();
      await http.close();
    },
    ready: () => app.state === 'running' && app.consumerHealthy,
    profiles: localProfiles(app, view, shared.advertisedUrl),
  };
}

/**
 * Answers for a profile from this process's journey-instances store, only when the task owning the profile's
 * partition runs here, restored, outside a rebalance — and checks that again after the read, so an answer never
 * comes from a task that was revoked meanwhile.
 */
function localProfiles(app: StreamsApp, view: ConfigView, server: () => string | undefined): LocalProfileQuery {
  const catalog = viewCatalog(view);
  return {
    query: async (profileKey): Promise<ProfileAnswer> => {
      const n = app.storePartitions(STORES.instances);
      if (!n) return { status: 'unavailable', reason: 'rebalancing' };
      const partition = partitionForKey(Buffer.from(profileKey, 'utf8'), n);
      const q = app.queryStore<ProfileState>(STORES.instances, partition);
      if (q.status !== 'ok') return { status: 'unavailable', partition, reason: q.reason };
      let state: ProfileState | undefined;
      try {
        state = await q.store.get(profileKey);
      } catch {
        return { status: 'unavailable', partition, reason: 'rebalancing' }; // the store closed under the read
      }
      const again = app.queryStore<ProfileState>(STORES.instances, partition);
      if (again.status !== 'ok' || again.store !== q.store)
        return { status: 'unavailable', partition, reason: again.status === 'ok' ? 'rebalancing' : again.reason };
      const at = server();
      return { status: 'ok', partition, ...(at ? { answeredBy: at } : {}), journeys: describeProfile(state, catalog) };
    },
  };
}

/** The share of time the event loop was idle since the previous call (audience scans grow into spare time). */
function loopIdleMeter(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const since = performance.eventLoopUtilization(now, last);
    last = now;
    return 1 - since.utilization;
  };
}
