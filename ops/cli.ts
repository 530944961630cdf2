/**
 * The `jo` command line. Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
 */
import { createKafka, JoError, setDefaultKafkaLog } from '../topology/index.js';
import { createLogger } from './logger.js';
import { kafkaLogSink } from './kafka-log.js';
import { provisionTopics } from './engine.js';
import { topicNames } from '../schemas/index.js';
import { ensureInfra } from './local-infra.js';
import { policyFromEnv, type EngineConfig } from './engine-config.js';
import { validateCommand } from './api/index.js';
import { produceSample } from './sample.js';
import { cliConfig, startCommand } from './start-command.js';
import { testCommand } from './journey-test/test-command.js';
import { replayCommand } from './journey-test/replay-command.js';
import { helpText, usage } from './cli-usage.js';

function say(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Loads the engine config; in dev mode starts a local broker when none is configured (left running). */
async function config(args: string[]): Promise<Readonly<EngineConfig>> {
  if (args.includes('--dev') && !process.env['KAFKA_BROKERS']) await ensureInfra({ needRegistry: false });
  return cliConfig(args);
}

async function topics(args: string[]): Promise<number> {
  const cfg = await config(args);
  const res = await provisionTopics(createKafka({ brokers: cfg.kafkaBrokers, clientId: 'jo-cli' }), cfg);
  say(`topics: ${res.created.length} created (${res.created.join(', ') || 'none'}), ${res.existing.length} verified`);
  return 0;
}

const HELP = new Set(['--help', '-h']);

/**
 * `jo --help`, `jo help [command]`, `jo <command> --help`: prints the help text and gives 0 (nothing starts); an
 * unknown command gives the whole usage on stderr and 2. Undefined when argv asks for no help.
 */
function help(cmd: string | undefined, rest: string[]): number | undefined {
  const asked =
    cmd === 'help' || HELP.has(cmd ?? '')
      ? { command: rest[0] }
      : rest.some((a) => HELP.has(a))
        ? { command: cmd }
        : undefined;
  if (!asked) return undefined;
  const text = helpText(asked.command);
  if (text === undefined) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  say(text);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const helped = help(cmd, rest);
  if (helped !== undefined) return helped;
  // the short-lived clients of produce-sample, topics, replay: kafkajs' transient start-up lines stay quiet
  setDefaultKafkaLog(kafkaLogSink(createLogger({ level: 'warn', format: process.stderr.isTTY ? 'pretty' : 'json' })));
  try {
    switch (cmd) {
      case 'start':
        return await startCommand(rest, say);
      case 'api':
        return await startCommand([...rest, '--only', 'api'], say);
      case 'topics':
        return await topics(rest);
      case 'validate': {
        const out = validateCommand(rest, policyFromEnv(process.env));
        say(out.lines.join('\n'));
        return out.code;
      }
      case 'test': {
        const r = await testCommand(rest);
        if (r.out.length > 0) say(r.out.join('\n'));
        if (r.err.length > 0) process.stderr.write(`${r.err.join('\n')}\n`);
        return r.code;
      }
      case 'replay': {
        const cfg = await config(rest);
        const r = await replayCommand(rest, {
          brokers: cfg.kafkaBrokers,
          topicPrefix: cfg.topicPrefix,
          stderr: (t) => void process.stderr.write(t),
        });
        if (r.out.length > 0) say(r.out.join('\n'));
        if (r.err.length > 0) process.stderr.write(`${r.err.join('\n')}\n`);
        return r.code;
      }
      case 'produce-sample': {
        const cfg = await config(rest);
        const n = await produceSample(cfg, {
          count: Number(flag(rest, '--count') ?? 10),
          purchaseRatio: Number(flag(rest, '--purchase-ratio') ?? 0.5),
        });
        say(`produced ${n} events to ${topicNames(cfg.topicPrefix).events}`);
        return 0;
      }
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
