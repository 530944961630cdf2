/**
 * A stand-alone admin API server: opens the config store (replaying `jo.config`), builds the API and listens.
 * `jo api` (ops/engine.ts) wires the same parts with the engine's configuration; this entry serves tests and
 * embedders that want only the API.
 */
import type { FastifyInstance } from 'fastify';
import { createKafka } from '../../topology/index.js';
import { DEFAULT_TOPIC_PREFIX, topicCatalog, topicNames } from '../../schemas/index.js';
import { ensureTopics } from '../topics.js';
import { buildApi, type ApiOptions } from './app.js';
import { KafkaConfigStore } from './config-store.js';
import { KafkaReportView } from './report-view.js';
import { KafkaProfileControls } from './profile-controls.js';

export interface ApiServerOptions extends Omit<ApiOptions, 'store'> {
  readonly brokers: readonly string[];
  /** Topic prefix, `jo.` by default: the config topic is `<prefix>config`. */
  readonly topicPrefix?: string;
  readonly host?: string;
  /** 0 picks a free port (see `address`). */
  readonly port?: number;
  /** Create the config topic when missing (compacted, 1 partition); true by default. */
  readonly ensureTopic?: boolean;
}

export interface ApiServer {
  readonly app: FastifyInstance;
  readonly store: KafkaConfigStore;
  readonly reports: KafkaReportView;
  /** `http://host:port` the server listens on. */
  readonly address: string;
  close(): Promise<void>;
}

async function ensureConfigTopic(brokers: readonly string[], prefix: string): Promise<void> {
  const admin = createKafka({ brokers, clientId: 'jo-api-admin' }).admin();
  await admin.connect();
  try {
    const name = topicNames(prefix).config;
    await ensureTopics(
      admin,
      topicCatalog({ prefix }).filter((t) => t.name === name),
    );
  } finally {
    await admin.disconnect();
  }
}

/** Starts the API; resolves once it listens and the view has replayed the topic. */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const prefix = opts.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
  if (opts.ensureTopic ?? true) await ensureConfigTopic(opts.brokers, prefix);
  const store = await KafkaConfigStore.open({
    brokers: opts.brokers,
    topic: topicNames(prefix).config,
    ...(opts.compile ? { compile: opts.compile } : {}),
  });
  await store.whenReady();
  // read in the background: the engine creates jo.reports, and only the report route waits for it
  const reports = KafkaReportView.open({ brokers: opts.brokers, topic: topicNames(prefix).reports });
  const controls = KafkaProfileControls.open({ brokers: opts.brokers, topic: topicNames(prefix).controls });
  const app = await buildApi({ controls, ...opts, store, reports });
  const address = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8080 });
  return {
    app,
    store,
    reports,
    address,
    close: async () => {
      await app.close();
      await reports.close();
      await store.close();
      await controls.close();
    },
  };
}
