/**
 * `jo start` (and `npm start`, which is `jo start --dev`): checks every port it will listen on, starts what dev
 * mode needs (a local broker when `KAFKA_BROKERS` is unset, the sample endpoint), runs the engine, and on the first
 * SIGINT / SIGTERM (or, in dev, when the process that started it goes away) stops everything it started within
 * `JO_SHUTDOWN_TIMEOUT_MS` and exits.
 */
import { ensureInfra, localKafkaRunning, stopInfra } from './local-infra.js';
import { loadEngineConfig, type EngineConfig } from './engine-config.js';
import { createLogger, type Logger } from './logger.js';
import { startEngine, type Engine } from './engine.js';
import { loadSampleRetrying } from './sample.js';
import { startDevSink, type DevSink } from './dev-sink.js';
import { assertPortsFree, devPorts, portTaken, samplePort } from './dev-ports.js';
import { kafkaLogSink } from './kafka-log.js';
import { setDefaultKafkaLog } from '../topology/index.js';
import { WORKER_CONFIG_ENV, WORKER_INDEX_ENV, type MetricsRequest, type WorkerMessage } from './pipeline-workers.js';

type Say = (msg: string) => void;
type Infra = ReadonlyArray<'kafka' | 'registry'>;

/** Share of the shutdown budget kept for stopping the local broker after the engine (dev only). */
const BROKER_STOP_SHARE = 0.4;
/** npm forwards the terminal's SIGINT to its child, which the terminal also signals: one Ctrl-C, two signals. */
const DUPLICATE_SIGNAL_MS = 2_000;

/** Resolves on the first SIGINT/SIGTERM; a second one (not npm's duplicate) calls `force`. */
class ShutdownSignals {
  readonly first: Promise<string>;
  private at = 0;
  private force: (() => void) | undefined;

  constructor(opts: { watchParent: boolean }) {
    this.first = new Promise((resolve) => {
      const on = (signal: string) => {
        const now = Date.now();
        if (this.at === 0) {
          this.at = now;
          resolve(signal);
        } else if (now - this.at > DUPLICATE_SIGNAL_MS) this.force?.();
      };
      process.on('SIGINT', () => on('SIGINT'));
      process.on('SIGTERM', () => on('SIGTERM'));
      if (opts.watchParent) {
        // `npm start` killed without forwarding a signal (or a wrapper shell that dies first): do not stay orphaned
        const parent = process.ppid;
        const timer = setInterval(() => {
          if (process.ppid !== parent) on('parent exited');
        }, 1_000);
        timer.unref();
      }
    });
  }

  /** What a second signal does (after the first has started the shutdown). */
  onForce(force: () => void): void {
    this.force = force;
  }
}

/** Loads the config; in dev fills in the local broker's address and a generated admin token. */
export function cliConfig(args: string[], env: NodeJS.ProcessEnv = { ...process.env }): Readonly<EngineConfig> {
  const dev = args.includes('--dev');
  if (dev && !env['KAFKA_BROKERS']) env['KAFKA_BROKERS'] = `127.0.0.1:${env['KAFKA_PORT'] ?? '9092'}`;
  if (!env['JO_LOG_FORMAT'] && process.stdout.isTTY) env['JO_LOG_FORMAT'] = 'pretty';
  const overrides: Record<string, unknown> = {};
  const i = args.indexOf('--only');
  const only = i >= 0 ? args[i + 1] : undefined;
  if (only) overrides['only'] = only.split(',').map((s) => s.trim());
  // dev: the sample's endpoints (the dev sink) and local test servers listen on 127.0.0.1
  if (dev && !env['JO_OUTBOUND_ALLOW']) env['JO_OUTBOUND_ALLOW'] = 'public,127.0.0.1';
  if (dev && !env['JO_API_TOKENS']) env['JO_API_TOKENS'] = `dev-${crypto.randomUUID()}:admin`;
  const c = args.indexOf('--config');
  const file = c >= 0 ? args[c + 1] : undefined;
  // a pipeline worker runs with the configuration its parent gives it, whole (ops/pipeline-workers.ts)
  const worker = env[WORKER_CONFIG_ENV];
  if (worker) Object.assign(overrides, JSON.parse(worker) as Record<string, unknown>);
  return loadEngineConfig(env, { ...(file ? { file } : {}), overrides });
}

/**
 * Dev mode: the local broker when none is configured. Checked ports first, so a taken one fails before anything
 * runs. Returns what it started.
 */
async function devInfra(args: string[], cfg: Readonly<EngineConfig>): Promise<Infra> {
  if (!args.includes('--dev')) return [];
  const startsKafka = !process.env['KAFKA_BROKERS'] && !localKafkaRunning();
  await assertPortsFree(
    devPorts(process.env, { apiHost: cfg.api.host, apiPort: cfg.api.port, startsKafka: startsKafka }),
  );
  if (!startsKafka) return [];
  try {
    return (await ensureInfra({ needRegistry: false })).started;
  } catch (err) {
    // interrupted or failed half-way: a broker that did come up is still ours to stop
    if (localKafkaRunning()) stopInfra(['kafka'], 5_000);
    throw err;
  }
}

export async function startCommand(args: string[], say: Say): Promise<number> {
  const dev = args.includes('--dev');
  const workerIndex = process.send ? process.env[WORKER_INDEX_ENV] : undefined;
  // a pipeline worker stops when the engine process that started it goes away
  const signals = new ShutdownSignals({ watchParent: dev || workerIndex !== undefined });
  const cfg = cliConfig(args);
  const logger = createLogger({
    level: cfg.log.level,
    format: cfg.log.format,
    ...(workerIndex !== undefined ? { name: `jo-worker-${workerIndex}` } : {}),
  });
  setDefaultKafkaLog(kafkaLogSink(logger));
  const infra = await devInfra(args, cfg);
  let sink: DevSink | undefined;
  let engine: Engine | undefined;
  signals.onForce(() => {
    logger.error('second signal: stopping now without draining');
    stopInfra(infra, 2_000);
    process.exit(130);
  });
  try {
    sink = dev ? await startSink(logger) : undefined;
    engine = await startWithRetries(cfg, logger);
    if (workerIndex !== undefined) answerParent(engine);
    else await printBanner(cfg, engine, sink, say, dev);
  } catch (err) {
    await sink?.close();
    stopInfra(infra, 5_000);
    throw err;
  }
  const signal = await signals.first;
  return shutdown({ signal, cfg, logger, engine, sink, infra });
}

/** A pipeline worker's side of ops/pipeline-workers.ts: its status every 500 ms, and its metrics when asked. */
function answerParent(engine: Engine): void {
  const send = (m: WorkerMessage) => process.send?.(m, undefined, undefined, () => undefined);
  const status = () => send({ type: 'status', ready: engine.isReady(), address: engine.address });
  status();
  setInterval(status, 500).unref();
  process.on('message', (m: MetricsRequest) => {
    if (m?.type !== 'metrics') return;
    engine.metrics.registry.getMetricsAsJSON().then(
      (metrics) => send({ type: 'metrics', id: m.id, metrics }),
      () => send({ type: 'metrics', id: m.id, metrics: null }),
    );
  });
  // the channel does not keep the worker alive once its engine has stopped
  process.channel?.unref();
}

/** Start attempts when the broker answers with a retriable error (a fresh broker still settling its topics). */
const START_ATTEMPTS = 3;

/**
 * Starts the engine; a start that failed on a retriable Kafka error (`UNKNOWN_TOPIC_OR_PARTITION` right after the
 * topics were created on a fresh broker, a coordinator still loading) is torn down by startEngine and tried again.
 */
async function startWithRetries(cfg: Readonly<EngineConfig>, logger: Logger): Promise<Engine> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEngine(cfg, { logger });
    } catch (err) {
      const retriable = (err as { retriable?: unknown }).retriable === true;
      if (!retriable || attempt >= START_ATTEMPTS) throw err;
      logger.warn({ err: String(err), attempt }, 'start failed on a transient broker error; starting again');
      await new Promise((r) => setTimeout(r, 1_000 * attempt));
    }
  }
}

async function startSink(logger: Logger): Promise<DevSink> {
  const port = samplePort(process.env);
  try {
    return await startDevSink(logger, port);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EADDRINUSE') throw err;
    throw portTaken({ what: 'sample endpoint', host: '127.0.0.1', port, variable: 'JO_SAMPLE_PORT' }, err);
  }
}

async function printBanner(
  cfg: Readonly<EngineConfig>,
  engine: Engine,
  sink: DevSink | undefined,
  say: Say,
  dev: boolean,
): Promise<void> {
  say(`journey engine running (${cfg.only.join(', ')}) on ${cfg.kafkaBrokers.join(',')}`);
  if (cfg.only.includes('api')) say(`  API       ${engine.address}/v1   (OpenAPI: ${engine.address}/openapi.json)`);
  say(`  metrics   ${engine.address}/metrics   health: ${engine.address}/healthz, ${engine.address}/readyz`);
  if (cfg.only.includes('api')) say(`  console   ${engine.address}/console/   (sign in with an API token)`);
  if (!dev) return;
  const token = cfg.api.tokens[0]?.token ?? '';
  say(`  admin token (dev): ${token}`);
  if (sink && cfg.only.includes('api')) {
    // a sample that cannot be loaded (the broker away for longer) is said, and the engine runs on without it
    const loaded = await loadSampleRetrying(engine.address, token, sink.url).catch(
      (err: unknown) => `not loaded (${err instanceof Error ? err.message : String(err)}); restart to load it`,
    );
    say(`  sample journey "welcome" ${loaded}; its actions call ${sink.url}`);
    // with the settings this process was given, so that the hint works as printed in a new shell
    const prefix = process.env['JO_TOPIC_PREFIX'] ? ` JO_TOPIC_PREFIX=${cfg.topicPrefix}` : '';
    say(`  try: KAFKA_BROKERS=${cfg.kafkaBrokers.join(',')}${prefix} node ops/bin/jo.js produce-sample --count 10`);
  }
  say('  stop with Ctrl-C (stops everything this command started)');
}

/** Drains the engine, then closes the sample endpoint and stops the broker it started, all within the budget. */
async function shutdown(s: {
  signal: string;
  cfg: Readonly<EngineConfig>;
  logger: Logger;
  engine: Engine;
  sink: DevSink | undefined;
  infra: Infra;
}): Promise<number> {
  const { cfg, logger, infra } = s;
  const budget = cfg.shutdownTimeoutMs;
  const brokerShare = infra.length > 0 ? Math.floor(budget * BROKER_STOP_SHARE) : 0;
  logger.info({ signal: s.signal, timeoutMs: budget }, 'shutting down');
  const clean = await s.engine.stop(budget - brokerShare);
  logger.info({ clean }, clean ? 'engine stopped cleanly' : `engine: gave up waiting after ${budget - brokerShare} ms`);
  await s.sink?.close();
  if (infra.length > 0) {
    logger.info({ services: infra }, 'stopping the local services this command started');
    stopInfra(infra, brokerShare);
  }
  logger.info('stopped');
  logger.flush();
  return clean ? 0 : 1;
}
