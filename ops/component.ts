/**
 * What the composition root (engine.ts) builds: independently started and stopped parts of one process, and the
 * pieces they share. Each part is made by its own file (pipeline.ts, connectors-component.ts).
 */
import type { KafkaClient } from '../topology/index.js';
import type { ConfigView } from '../schemas/index.js';
import type { KafkaConfigStore, LocalProfileQuery } from './api/index.js';
import type { EngineConfig } from './engine-config.js';
import type { Logger } from './logger.js';
import type { PromMetrics } from './metrics.js';

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
