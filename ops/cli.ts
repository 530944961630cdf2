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

const usage = `usage: jo <command> [options]
  start [--dev] [--only pipeline,api,connectors] [--config FILE]
                    run the engine (--dev: start a local Kafka broker when KAFKA_BROKERS is unset,
                    create an admin token when none is configured, load the sample journey)
  api               run only the admin REST API (same as: start --only api)
  topics [--dev]    create or verify every topic of the contract
  validate [--kind K] [--no-refs] FILE...
                    check configuration files offline (resources, journeys, bundles, resource sets)
  test --journey FILE --events FILE.jsonl [--profiles FILE] [--responses FILE] [--resources FILE]...
       [--expect FILE] [--start ISO] [--horizon DURATION] [--json]
                    run a journey on a simulated clock with canned responses (nothing is sent); print
                    each profile's trail and per-node counts; exit 1 naming each failed expectation
  replay --journey ID [--version N] --from ISO --to ISO [--compare] [--responses FILE] [--json]
                    run a version over a past range of <prefix>events on a clock driven by event timestamps
                    (own consumer, nothing committed or sent); per-node counts, commands per action, peak
                    commands/s per endpoint; --compare: side by side with what the live engine did
  produce-sample [--count N] [--purchase-ratio R]
                    send demo signup and purchase events (no keys) to <prefix>events
configuration: environment variables (docs/configuration.md) and an optional JSON file (--config / JO_CONFIG_FILE)`;

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

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
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
