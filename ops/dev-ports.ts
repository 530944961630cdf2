/**
 * The ports `jo start` listens on (and, with `--dev`, the ports of what it starts), each with the variable that
 * moves it. Checked before anything is started, so a taken port is a clear error naming that variable, and
 * nothing is left running.
 */
import { createServer } from 'node:net';
import { opsCodes } from './codes.js';

export interface NamedPort {
  /** What listens there, in words (`sample endpoint`). */
  readonly what: string;
  readonly host: string;
  readonly port: number;
  /** The environment variable that changes the port. */
  readonly variable: string;
}

/** The sample endpoint's port in `--dev` (`JO_SAMPLE_PORT`, default 8090; 0 picks a free one). */
export function samplePort(env: NodeJS.ProcessEnv): number {
  return portFrom(env, 'JO_SAMPLE_PORT', 8090);
}

function portFrom(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw opsCodes.error('PORT_INVALID', `${variable}=${raw} is not a port number (0-65535)`);
  }
  return port;
}

/**
 * What `jo start --dev` will listen on. The broker's ports count only when it is to be started here
 * (`KAFKA_BROKERS` unset and no local broker running).
 */
export function devPorts(
  env: NodeJS.ProcessEnv,
  opts: { apiHost: string; apiPort: number; startsKafka: boolean },
): NamedPort[] {
  const ports: NamedPort[] = [
    { what: 'admin API', host: opts.apiHost, port: opts.apiPort, variable: 'JO_API_PORT' },
    { what: 'sample endpoint', host: '127.0.0.1', port: samplePort(env), variable: 'JO_SAMPLE_PORT' },
  ];
  if (opts.startsKafka) {
    const kafka = portFrom(env, 'KAFKA_PORT', 9092);
    ports.push(
      { what: 'local Kafka broker', host: '127.0.0.1', port: kafka, variable: 'KAFKA_PORT' },
      {
        what: 'local Kafka controller',
        host: '127.0.0.1',
        port: portFrom(env, 'KAFKA_CONTROLLER_PORT', 9093),
        variable: 'KAFKA_CONTROLLER_PORT',
      },
    );
  }
  return ports.filter((p) => p.port !== 0);
}

/** Resolves when `host:port` can be bound right now (and releases it at once). */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The error for a port that is taken: it names the variable that moves it. */
export function portTaken(p: NamedPort, cause?: unknown): Error {
  return opsCodes.error(
    'PORT_IN_USE',
    `port ${p.port} on ${p.host} (${p.what}) is taken by another process; set ${p.variable} to another port`,
    cause === undefined ? {} : { cause },
  );
}

/** Throws PORT_IN_USE for the first taken port; the ports are bound later by their owners. */
export async function assertPortsFree(ports: readonly NamedPort[]): Promise<void> {
  for (const p of ports) {
    if (!(await portFree(p.host, p.port))) throw portTaken(p);
  }
}
