/**
 * The journey engine in a child process, for the crash test: started with `tsx`, configured by the JSON in
 * JO_TEST_ENGINE ({ brokers, prefix, applicationId, stateDir }). Prints `started` once the app runs. Killed with
 * SIGKILL by the test; a new one with the same config takes over from the committed state.
 */
import { restoreChangelogs, StreamsApp } from '../../topology/index.js';
import { buildJourneyTopology } from '../journey-topology.js';
import { journeyRuntimeNames } from '../runtime-names.js';
import { testKafka } from '../../topology/testing/index.js';

/** What an engine process is started with (as JSON in `JO_TEST_ENGINE`). */
export interface EngineChildConfig {
  readonly brokers: string[];
  readonly prefix: string;
  readonly applicationId: string;
  readonly stateDir: string;
  /** Partitions of the profile-keyed topics (journey entry caps are shared out over them). */
  readonly partitions?: number;
}

const cfg = JSON.parse(process.env['JO_TEST_ENGINE'] ?? '{}') as EngineChildConfig;
const { topology } = buildJourneyTopology({
  topicPrefix: cfg.prefix,
  ...(cfg.partitions !== undefined ? { partitions: cfg.partitions } : {}),
  limits: { timerIntervalMs: 200, stopCheckIntervalMs: 500 },
});
const app = new StreamsApp({
  applicationId: cfg.applicationId,
  topology,
  kafka: testKafka(cfg.brokers, 'journey-engine-child'),
  dlqTopic: `${cfg.prefix}dlq`,
  names: journeyRuntimeNames,
  stateDir: cfg.stateDir,
  restorer: restoreChangelogs,
  sessionTimeoutMs: 6_000,
  log: (level, msg, extra) => process.stderr.write(`${level} ${msg} ${JSON.stringify(extra ?? {})}\n`),
});
app.events.on('task-error', (e) => process.stderr.write(`task-error ${e.taskId} ${String(e.error)}\n`));
await app.start();
process.stdout.write('started\n');
