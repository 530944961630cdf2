/**
 * `JO_PIPELINE_WORKERS=n` (n > 1): the journey pipeline in n processes on this host, in one consumer group. Node runs
 * a process's JavaScript on one core, so one process gives the pipeline one core whatever the machine has; this is
 * the engine's `num.stream.threads`. This process runs the pipeline itself (worker 0, with whatever else `only`
 * names) and, as the component below, starts workers 1…n-1 as child processes (`jo start --only pipeline`) and
 * watches them:
 *
 * - each worker gets this process's whole configuration (an environment variable holding it as JSON) with its own state directory `<stateDir>/worker-<k>` and instance id `<instanceId>-w<k>` (stable across
 *   restarts, so a restarted worker keeps its RocksDB state and its group membership), and a health/metrics server
 *   on an ephemeral port of `api.host`, which it publishes with its partitions for profile lookups;
 * - `/readyz` here is ready only while every worker is running and reports itself ready;
 * - `/metrics` here sums every worker's series into its own (prom-client's aggregation: counters, gauges and
 *   histograms add up; a worker that does not answer within 2 s is left out of that scrape);
 * - a worker that exits on its own is logged and started again after a backoff (1 s, doubling to 30 s; back to 1 s
 *   after a minute up); a worker that dies is the consumer group's business meanwhile (its partitions move);
 * - stop sends SIGTERM to every worker and waits for them (a worker drains and commits like any engine process); a
 *   worker whose parent has gone away stops itself (`jo start` watches its parent in worker mode).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { MetricJson } from './metrics.js';
import type { Component, SharedParts } from './component.js';
import type { EngineConfig } from './engine-config.js';

/** Environment variable holding a worker's whole configuration (JSON); its presence makes `jo start` a worker. */
export const WORKER_CONFIG_ENV = 'JO_WORKER_CONFIG';
/** Environment variable holding a worker's index (1…n-1). */
export const WORKER_INDEX_ENV = 'JO_WORKER_INDEX';

const JO = fileURLToPath(new URL('./bin/jo.js', import.meta.url));
const METRICS_TIMEOUT_MS = 2_000;
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** A worker up this long is healthy again: its next restart waits the shortest backoff. */
const HEALTHY_AFTER_MS = 60_000;

/** What a worker tells its parent. */
export type WorkerMessage =
  /** Sent once the worker's engine has started, then every 500 ms. */
  | { readonly type: 'status'; readonly ready: boolean; readonly address: string }
  | { readonly type: 'metrics'; readonly id: number; readonly metrics: MetricJson[] | null };

/** What a parent asks a worker. */
export interface MetricsRequest {
  readonly type: 'metrics';
  readonly id: number;
}

/** The configuration worker `k` runs with: the parent's, with its own state, identity and server port. */
export function workerConfig(config: Readonly<EngineConfig>, k: number): EngineConfig {
  const { advertisedUrl: _advertised, ...rest } = config;
  return {
    ...rest,
    only: ['pipeline'],
    pipelineWorkers: 1,
    stateDir: join(config.stateDir, `worker-${k}`),
    instanceId: `${config.instanceId}-w${k}`,
    api: { ...config.api, port: 0 },
  };
}

/** Node flags a worker inherits (profiling and heap sizing; not a test runner's loaders). */
function inheritedNodeArgs(): string[] {
  return process.execArgv.filter((a) => /^--(cpu-prof|heap-prof|max-old-space-size|max-semi-space-size)/.test(a));
}

interface Worker {
  readonly k: number;
  child: ChildProcess | undefined;
  started: boolean;
  ready: boolean;
  startedAt: number;
  backoffMs: number;
  restart: NodeJS.Timeout | undefined;
  exited: Promise<void>;
}

class PipelineWorkers implements Component {
  readonly name = 'pipeline workers';
  private readonly workers: Worker[] = [];
  private stopping = false;
  /** Set once every worker has started: from then on a worker that exits is started again. */
  private running = false;
  private nextId = 0;
  private readonly pending = new Map<number, (m: MetricJson[] | null) => void>();

  constructor(private readonly shared: SharedParts) {}

  async start(): Promise<void> {
    const n = this.shared.config.pipelineWorkers;
    for (let k = 1; k < n; k++) {
      const w: Worker = {
        k,
        child: undefined,
        started: false,
        ready: false,
        startedAt: 0,
        backoffMs: BACKOFF_MIN_MS,
        restart: undefined,
        exited: Promise.resolve(),
      };
      this.workers.push(w);
    }
    // a failed start leaves no worker behind: the engine closes only the parts that started (engine.ts)
    const launched = await Promise.allSettled(this.workers.map((w) => this.launch(w)));
    const failed = launched.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.stop();
      throw failed.reason;
    }
    this.running = true;
    this.shared.metrics.addPeer(() => this.collectMetrics());
  }

  ready(): boolean {
    return this.workers.every((w) => w.ready);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const w of this.workers) {
      clearTimeout(w.restart);
      w.child?.kill('SIGTERM');
    }
    await Promise.all(this.workers.map((w) => w.exited));
  }

  /** Starts worker `w`; resolves once it reports its engine started, rejects when it exits before that. */
  private launch(w: Worker): Promise<void> {
    const { config, logger } = this.shared;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      [WORKER_CONFIG_ENV]: JSON.stringify(workerConfig(config, w.k)),
      [WORKER_INDEX_ENV]: String(w.k),
    };
    // what the worker's configuration says, not what this process's environment or file said
    delete env['JO_CONFIG_FILE'];
    delete env['JO_ADVERTISED_URL'];
    const child = spawn(process.execPath, [...inheritedNodeArgs(), JO, 'start', '--only', 'pipeline'], {
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    w.child = child;
    w.started = false;
    w.ready = false;
    w.startedAt = Date.now();
    w.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    return new Promise<void>((resolve, reject) => {
      child.on('message', (m: WorkerMessage) => {
        if (m.type === 'metrics') {
          this.pending.get(m.id)?.(m.metrics);
          this.pending.delete(m.id);
          return;
        }
        w.ready = m.ready;
        if (!w.started) {
          w.started = true;
          logger.info({ worker: w.k, workerPid: child.pid, address: m.address }, 'pipeline worker started');
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        w.ready = false;
        w.child = undefined;
        if (!w.started)
          reject(new Error(`pipeline worker ${w.k} exited before it started (code ${code}, signal ${signal})`));
        if (this.running && !this.stopping) this.scheduleRestart(w, code, signal);
      });
    });
  }

  private scheduleRestart(w: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    if (Date.now() - w.startedAt > HEALTHY_AFTER_MS) w.backoffMs = BACKOFF_MIN_MS;
    const delayMs = w.backoffMs;
    w.backoffMs = Math.min(BACKOFF_MAX_MS, w.backoffMs * 2);
    this.shared.logger.error({ worker: w.k, code, signal, restartInMs: delayMs }, 'pipeline worker exited');
    w.restart = setTimeout(() => {
      w.restart = undefined;
      if (this.stopping) return;
      this.launch(w).catch((err: unknown) =>
        this.shared.logger.error({ worker: w.k, err: String(err) }, 'pipeline worker restart failed'),
      );
    }, delayMs);
  }

  /** Every running worker's metrics (JSON), each within 2 s; a worker that does not answer is left out. */
  private async collectMetrics(): Promise<MetricJson[][]> {
    const asks = this.workers.map((w) => {
      const child = w.child;
      if (!child?.connected) return Promise.resolve(null);
      const id = ++this.nextId;
      return new Promise<MetricJson[] | null>((resolve) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          resolve(null);
        }, METRICS_TIMEOUT_MS);
        this.pending.set(id, (m) => {
          clearTimeout(timer);
          resolve(m);
        });
        const ask: MetricsRequest = { type: 'metrics', id };
        child.send(ask, (err) => {
          if (err) this.pending.get(id)?.(null);
        });
      });
    });
    return (await Promise.all(asks)).filter((m): m is MetricJson[] => m !== null);
  }
}

/** The component that starts and watches workers 1…n-1 (`config.pipelineWorkers` > 1). */
export function pipelineWorkersComponent(shared: SharedParts): Component {
  return new PipelineWorkers(shared);
}
