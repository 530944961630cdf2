/**
 * A Kafka broker of a test's own, for tests that stop, restart or crowd the broker (never the shared one): the
 * same `ops/infra/kafka.sh`, in a temporary infra directory whose `kafka/libs` links to the jars already fetched
 * (`JO_INFRA_DIR`, or the repo's `.infra`), on ports `JO_TEST_KAFKA_PORT` / `JO_TEST_KAFKA_CONTROLLER_PORT`
 * (default 19292 / 19293). It also runs Kafka's own Java console producer from those jars.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

export interface PrivateBroker {
  readonly brokers: string[];
  readonly port: number;
  /** Directory holding the Kafka jars (for the console producer and other Java tools). */
  readonly libs: string;
  /** Stops the broker process (data kept), like a broker going away. */
  stop(): void;
  /**
   * SIGKILLs the broker's JVM (data kept, nothing flushed or closed: a crash) and waits until it is gone. Returns
   * its pid.
   */
  kill(): Promise<number>;
  /** Starts it again on the same data. */
  start(): void;
  /** Stops it and deletes its data. */
  destroy(): void;
  /**
   * Produces `lines` with Kafka's Java console producer (one batch per call: linger 1 s, large batch size) in
   * `codec` (`none`, `gzip`, `snappy`, `lz4`, `zstd`). Lines are `key|value` when `keyed`.
   */
  consoleProduce(topic: string, lines: string[], codec: string, opts?: { keyed?: boolean }): Promise<void>;
}

/** The Kafka jars `npm test`'s global setup fetched (or the machine has already). */
export function sourceLibs(): string {
  const infra = process.env['JO_INFRA_DIR'] ?? join(repoRoot, '.infra');
  const libs = join(infra, 'kafka', 'libs');
  // `npm test`'s global setup fetched them when it started the shared broker (or the machine has them already)
  if (!existsSync(join(libs, '.complete'))) throw new Error(`no Kafka jars in ${libs}: run through \`npm test\``);
  return libs;
}

/**
 * A fresh `JO_INFRA_DIR` whose `kafka/libs` links to the fetched jars: `ops/infra/kafka.sh` run with it keeps its
 * PID file, config and logs apart from the shared broker's.
 */
export function privateInfraDir(): string {
  const infra = mkdtempSync(join(tmpdir(), 'jo-broker-'));
  mkdirSync(join(infra, 'kafka'), { recursive: true });
  symlinkSync(sourceLibs(), join(infra, 'kafka', 'libs'));
  return infra;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a private broker; `ports` override the environment's and the defaults. */
export function startPrivateBroker(ports: { kafka?: number; controller?: number } = {}): PrivateBroker {
  const port = ports.kafka ?? Number(process.env['JO_TEST_KAFKA_PORT'] ?? 19292);
  const controller = ports.controller ?? Number(process.env['JO_TEST_KAFKA_CONTROLLER_PORT'] ?? 19293);
  const libs = sourceLibs();
  const infra = privateInfraDir();
  const env = {
    ...process.env,
    JO_INFRA_DIR: infra,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controller),
    KAFKA_DATA_DIR: join(infra, 'data'),
    KAFKA_HEAP: '512m',
    // a loaded 2-core machine can take minutes to start a JVM broker
    KAFKA_START_TIMEOUT: '300',
  };
  const script = (action: string) =>
    execFileSync('bash', [join(repoRoot, 'ops/infra/kafka.sh'), action], { env, stdio: 'pipe', cwd: repoRoot });
  const broker: PrivateBroker = {
    brokers: [`127.0.0.1:${port}`],
    port,
    libs,
    stop: () => void script('stop'),
    kill: async () => {
      const pid = Number(readFileSync(join(infra, 'kafka', 'kafka.pid'), 'utf8').trim());
      process.kill(pid, 'SIGKILL');
      while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
      return pid;
    },
    start: () => void script('start'),
    destroy: () => {
      try {
        script('stop');
      } finally {
        rmSync(infra, { recursive: true, force: true });
      }
    },
    consoleProduce: async (topic, lines, codec, opts = {}) => {
      const args = [
        '-cp',
        `${libs}/*`,
        '-Dlog4j2.level=warn',
        'org.apache.kafka.tools.ConsoleProducer',
        '--bootstrap-server',
        `127.0.0.1:${port}`,
        '--topic',
        topic,
        '--compression-codec',
        codec,
        '--producer-property',
        'linger.ms=1000',
        '--producer-property',
        'batch.size=4194304',
        '--producer-property',
        'max.request.size=8388608',
        ...(opts.keyed ? ['--property', 'parse.key=true', '--property', 'key.separator=|'] : []),
      ];
      const child = run('java', args, { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 });
      child.child.stdin?.end(lines.join('\n') + '\n');
      await child;
    },
  };
  try {
    broker.start();
  } catch (err) {
    broker.destroy();
    throw err;
  }
  return broker;
}
