/**
 * The local Kafka broker and schema registry: what `npm start` (`jo start --dev`) and the integration tests use
 * when no broker is configured.
 *
 * `KAFKA_BROKERS` / `SCHEMA_REGISTRY_URL` win when set. Otherwise the local ones are started with
 * `ops/infra/{kafka,registry}.sh` (Maven Central jars, 127.0.0.1). Under `CI=true` a broker that cannot be
 * reached is a hard failure, never a silent skip.
 */
import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface InfraEndpoints {
  readonly kafkaBrokers: string[];
  readonly schemaRegistryUrl: string;
  /** Services this call started (and so may stop). */
  readonly started: ReadonlyArray<'kafka' | 'registry'>;
}

/** Resolves when `host:port` accepts a TCP connection, rejects after `timeoutMs`. */
export function probeTcp(hostPort: string, timeoutMs = 2_000): Promise<void> {
  const [host = '127.0.0.1', port = '9092'] = hostPort.split(':');
  return new Promise((ok, fail) => {
    const socket = createConnection({ host, port: Number(port), timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      ok();
    });
    socket.once('timeout', () => {
      socket.destroy();
      fail(new Error(`timed out connecting to ${hostPort}`));
    });
    socket.once('error', (err) => fail(err));
  });
}

function runScript(name: string, action: 'start' | 'stop' | 'status', env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    execFileSync('bash', [resolve(repoRoot, 'ops/infra', name), action], {
      stdio: action === 'status' ? 'ignore' : 'inherit',
      cwd: repoRoot,
      env,
    });
    return true;
  } catch (err) {
    if (action === 'status') return false;
    throw err;
  }
}

/** True when the local broker of `ops/infra/kafka.sh` (its PID file and port) is already running. */
export function localKafkaRunning(): boolean {
  return runScript('kafka.sh', 'status');
}

/** Finds or starts the broker and the registry. Throws with a clear message when neither works. */
export async function ensureInfra(opts: { needRegistry: boolean }): Promise<InfraEndpoints> {
  const started: Array<'kafka' | 'registry'> = [];
  let brokers = process.env['KAFKA_BROKERS'];
  if (!brokers) {
    // only what this call starts is this caller's to stop; a broker already running belongs to whoever started it
    if (!localKafkaRunning()) {
      runScript('kafka.sh', 'start');
      started.push('kafka');
    }
    brokers = `127.0.0.1:${process.env['KAFKA_PORT'] ?? '9092'}`;
  }
  const kafkaBrokers = brokers.split(',').map((b) => b.trim());
  try {
    await probeTcp(kafkaBrokers[0] ?? '');
  } catch (err) {
    throw new Error(`Kafka broker ${brokers} is not reachable (${String(err)}); integration tests need a real broker`);
  }
  let registry = process.env['SCHEMA_REGISTRY_URL'];
  if (!registry && opts.needRegistry) {
    if (!runScript('registry.sh', 'status')) {
      runScript('registry.sh', 'start');
      started.push('registry');
    }
    registry = `http://127.0.0.1:${process.env['SCHEMA_REGISTRY_PORT'] ?? '8081'}/apis/ccompat/v7`;
  }
  return { kafkaBrokers, schemaRegistryUrl: registry ?? '', started };
}

/**
 * Stops the services `ensureInfra` started. `timeoutMs` bounds each one's graceful stop (then it is killed), so a
 * caller with a shutdown budget can keep to it.
 */
export function stopInfra(started: ReadonlyArray<'kafka' | 'registry'>, timeoutMs?: number): void {
  const secs = timeoutMs === undefined ? undefined : String(Math.max(1, Math.floor(timeoutMs / 1000)));
  const env = secs ? { ...process.env, KAFKA_STOP_TIMEOUT: secs, REGISTRY_STOP_TIMEOUT: secs } : process.env;
  if (started.includes('registry')) runScript('registry.sh', 'stop', env);
  if (started.includes('kafka')) runScript('kafka.sh', 'stop', env);
}
