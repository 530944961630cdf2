/**
 * The engine as users run it, for the benchmark: `jo start --only pipeline` in a child process (exactly-once,
 * RocksDB state) on its own topic prefix, with its configuration written to `<prefix>config` beforehand.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KafkaClient } from '../topology/index.js';
import { PARTITIONS, type SystemUnderTest } from './harness.js';

const JO = fileURLToPath(new URL('../ops/bin/jo.js', import.meta.url));
const TRACE = fileURLToPath(new URL('./engine-trace.ts', import.meta.url));
/** BENCH_TRACE=1: the engine child loads engine-trace.ts (per-hop trace from the Kafka adapter's diagnostics). */
const WITH_TRACE = process.env['BENCH_TRACE'] === '1';

export interface EngineUnderTest extends SystemUnderTest {
  readonly address: string;
  metrics(): Promise<string>;
  /** With BENCH_TRACE=1: `start()` opens a trace window, `stop()` returns its summary (engine-trace.ts). */
  readonly trace?: { start(): void; stop(): Promise<string> };
}

/** Creates the prefix's topics and writes `config` (key, resource) to its config topic. */
export async function setupEngineTopics(
  kafka: KafkaClient,
  prefix: string,
  config: Array<[string, object]>,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const { topicCatalog } = await import('../schemas/index.js');
  const { ensureTopics } = await import('../ops/index.js');
  await ensureTopics(admin, topicCatalog({ prefix, partitions: PARTITIONS }));
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: `${prefix}config`,
    messages: config.map(([k, v]) => ({ key: k, value: JSON.stringify(v) })),
  });
  await producer.disconnect();
}

export interface EngineOptions {
  readonly name: string;
  readonly brokers: string[];
  readonly prefix: string;
  readonly stateDir: string;
  readonly commitMs: number;
  /** Extra environment (engine settings) for this run. */
  readonly env?: Record<string, string>;
}

/** Starts the engine and resolves once every task runs (`/readyz`). */
export async function startEngine(o: EngineOptions): Promise<EngineUnderTest> {
  const nodeArgs = (process.env['BENCH_ENGINE_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const traceFile = join(tmpdir(), `jo-bench-trace-${o.prefix}txt`);
  if (WITH_TRACE) nodeArgs.push('--import', 'tsx', '--import', TRACE);
  const child = spawn(process.execPath, [...nodeArgs, JO, 'start', '--only', 'pipeline'], {
    env: {
      ...process.env,
      BENCH_TRACE_FILE: traceFile,
      KAFKA_BROKERS: o.brokers.join(','),
      JO_TOPIC_PREFIX: o.prefix,
      JO_APPLICATION_ID: `${o.prefix}engine`,
      JO_PARTITIONS: String(PARTITIONS),
      JO_STATE_DIR: o.stateDir,
      JO_API_PORT: '0',
      JO_LOG_FORMAT: 'json',
      JO_LOG_LEVEL: 'warn',
      JO_COMMIT_INTERVAL_MS: String(o.commitMs),
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const address = await new Promise<string>((resolve, reject) => {
    const tick = setInterval(() => {
      const m = /metrics\s+(http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(out);
      if (m?.[1]) {
        clearInterval(tick);
        resolve(m[1]);
      } else if (child.exitCode !== null) {
        clearInterval(tick);
        reject(new Error(`engine exited: ${out.slice(-2000)}`));
      }
    }, 50);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 1_200; i++) {
    const r = await fetch(`${address}/readyz`).catch(() => undefined);
    if (r?.status === 200) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  return {
    name: o.name,
    pid: child.pid ?? 0,
    input: `${o.prefix}events`,
    commands: `${o.prefix}commands.http`,
    address,
    metrics: async () => (await fetch(`${address}/metrics`)).text(),
    ...(WITH_TRACE ? { trace: traceWindow(child.pid ?? 0, traceFile) } : {}),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Trace windows of the engine child: SIGUSR2 opens one, the next writes its summary to `file` (engine-trace.ts). */
function traceWindow(pid: number, file: string) {
  return {
    start: () => process.kill(pid, 'SIGUSR2'),
    async stop(): Promise<string> {
      rmSync(file, { force: true });
      process.kill(pid, 'SIGUSR2');
      for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
      return existsSync(file) ? readFileSync(file, 'utf8').trim() : 'no trace written';
    },
  };
}
