/**
 * The `jo` command line. `jo start` runs the engine; `jo topics` creates or verifies the contract's topics.
 * Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
 */
import { createKafka, JoError } from '../topology/index.js';
import { topicCatalog } from '../schemas/index.js';
import { ensureTopics } from './topics.js';
import { localInfra } from './local-infra.js';
import { apiOptionsFromEnv, startApiServer, validateCommand } from './api/index.js';

const usage = `usage: jo <command> [options]
  start [--dev]     run the engine (--dev: start the local Kafka broker when KAFKA_BROKERS is unset)
  topics            create or verify every topic of the contract
  api               run the admin REST API (env: JO_API_TOKENS or JO_API_TOKENS_FILE, JO_API_HOST, JO_API_PORT)
  validate [--kind K] [--no-refs] <file>...   validate configuration files (resources, journeys, bundles) offline
env: KAFKA_BROKERS (host:port,...), JO_TOPIC_PREFIX (jo.), JO_PARTITIONS (6)`;

function say(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

async function brokers(dev: boolean): Promise<string[]> {
  const env = process.env['KAFKA_BROKERS'];
  if (env) return env.split(',').map((b) => b.trim());
  if (!dev) throw new Error('KAFKA_BROKERS is not set (use --dev to start a local broker)');
  const infra = await localInfra({ needRegistry: false });
  return infra.kafkaBrokers;
}

async function provision(dev: boolean): Promise<string[]> {
  const b = await brokers(dev);
  const kafka = createKafka({ brokers: b, clientId: 'jo-cli' });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const specs = topicCatalog({
      prefix: process.env['JO_TOPIC_PREFIX'] ?? 'jo.',
      partitions: Number(process.env['JO_PARTITIONS'] ?? 6),
    });
    const res = await ensureTopics(admin, specs);
    say(`topics: ${res.created.length} created, ${res.existing.length} verified on ${b.join(',')}`);
    return b;
  } finally {
    await admin.disconnect();
  }
}

async function start(dev: boolean): Promise<number> {
  const b = await provision(dev);
  say(`broker ready at ${b.join(',')}; topics provisioned.`);
  say('The journey pipeline, connectors and REST API are not wired into `jo start` yet; exiting.');
  return 0;
}

/** Runs the admin API until SIGINT/SIGTERM. */
async function api(): Promise<number> {
  const server = await startApiServer(apiOptionsFromEnv());
  say(`admin API listening on ${server.address}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'start':
        return await start(rest.includes('--dev'));
      case 'api':
        return await api();
      case 'validate': {
        const out = validateCommand(rest);
        say(out.lines.join('\n'));
        return out.code;
      }
      case 'topics':
        await provision(rest.includes('--dev'));
        return 0;
      default:
        process.stderr.write(`${usage}\n`);
        return 2;
    }
  } catch (err) {
    const code = err instanceof JoError ? err.code : 'UNEXPECTED';
    process.stderr.write(`jo ${cmd ?? ''}: ${code}: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof JoError && !err.retryable ? 2 : 1;
  }
}
