/**
 * The admin API server: opens the config store (replaying `jo.config`), builds the API and listens.
 * `startApiServer` is what the composition root (and the integration test) calls; `apiOptionsFromEnv` reads
 * the process environment (`KAFKA_BROKERS`, `JO_TOPIC_PREFIX`, `JO_API_HOST`, `JO_API_PORT`, `JO_API_TOKENS` or
 * `JO_API_TOKENS_FILE`, `JO_API_BODY_LIMIT`).
 */
import type { FastifyInstance } from 'fastify';
import { createKafka, ConfigError } from '../../topology/index.js';
import { topicCatalog, topicNames } from '../../schemas/index.js';
import { ensureTopics } from '../topics.js';
import { buildApi, DEFAULT_BODY_LIMIT, type ApiOptions } from './app.js';
import { KafkaConfigStore } from './config-store.js';
import { tokensFromEnv, type ApiToken } from './auth.js';

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
  const prefix = opts.topicPrefix ?? 'jo.';
  if (opts.ensureTopic ?? true) await ensureConfigTopic(opts.brokers, prefix);
  const store = await KafkaConfigStore.open({
    brokers: opts.brokers,
    topic: topicNames(prefix).config,
    ...(opts.compile ? { compile: opts.compile } : {}),
  });
  await store.whenReady();
  const app = await buildApi({ ...opts, store });
  const address = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8080 });
  return {
    app,
    store,
    address,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

/** Server options from the environment; every problem reported at once (ConfigError). */
export function apiOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ApiServerOptions {
  const problems: string[] = [];
  let tokens: ApiToken[] = [];
  try {
    tokens = tokensFromEnv(env);
  } catch (err) {
    problems.push(...(err instanceof ConfigError ? err.problems : [String(err)]));
  }
  const brokers = (env['KAFKA_BROKERS'] ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) problems.push('KAFKA_BROKERS is not set');
  const port = Number(env['JO_API_PORT'] ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push(`JO_API_PORT "${env['JO_API_PORT']}" is not a port`);
  const bodyLimit = Number(env['JO_API_BODY_LIMIT'] ?? DEFAULT_BODY_LIMIT);
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024) problems.push('JO_API_BODY_LIMIT must be an integer ≥ 1024');
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    brokers,
    tokens,
    port,
    bodyLimit,
    host: env['JO_API_HOST'] ?? '127.0.0.1',
    topicPrefix: env['JO_TOPIC_PREFIX'] ?? 'jo.',
    logger: true,
  };
}
