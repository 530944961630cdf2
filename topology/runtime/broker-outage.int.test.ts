// A broker outage longer than the clients' retries, on a broker of the test's own (JO_TEST_OUTAGE_PORT, default
// 19512, controller +1). Every task has work to commit during the outage (a wall-clock ticker writes its store), so
// every task fails and is relaunched with backoff while the broker is away. Before: a failed task was closed without
// a checkpoint, so each relaunch wiped its RocksDB stores and restored its whole changelog. Now its stores are rolled
// back to the last commit and checkpointed there: the relaunch restores only the tail. Readiness
// (`consumerHealthy`) is false while the consumer is down, and processing resumes exactly once.
// The outage lasts JO_TEST_OUTAGE_MS (default 20 s in CI; the 60 s was run by hand, see issue notes).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startPrivateBroker,
  uniqueName,
  type PrivateBroker,
  createTopics,
  produce,
  readCommitted,
  testKafka,
  waitFor,
  exactlyOnceProblems,
  expectedCounts,
  countingTopology,
} from '../testing/index.js';
import type { KafkaClient } from '../kafka/kafka-client.js';
import { StreamsApp } from './streams-app.js';

const PORT = Number(process.env['JO_TEST_OUTAGE_PORT'] ?? 19512);
const OUTAGE_MS = Number(process.env['JO_TEST_OUTAGE_MS'] ?? 20_000);
let broker: PrivateBroker;
let kafka: KafkaClient;
let stateDir: string;
let app: StreamsApp | undefined;

beforeAll(() => {
  broker = startPrivateBroker({ kafka: PORT, controller: PORT + 1 });
  kafka = testKafka(broker.brokers, 'broker-outage');
}, 320_000);
afterAll(async () => {
  await app?.close();
  broker?.destroy();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
}, 60_000);

const wordsOf = (n: number, from: number) => Array.from({ length: n }, (_, i) => `w${(from + i) % 10}`);

describe('a broker outage', () => {
  it('tasks relaunch with backoff and restore only the changelog tail; readiness is false meanwhile', async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'outage-'));
    const t = { in: uniqueName('outage-in'), out: uniqueName('outage-out'), dlq: uniqueName('outage-dlq') };
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [
      { name: t.in, partitions: 2 },
      { name: t.out, partitions: 2 },
      { name: t.dlq, partitions: 1 },
    ]);
    await admin.disconnect();
    const first = wordsOf(400, 0);
    await produce(
      kafka,
      t.in,
      first.map((w) => ({ key: w, value: w })),
    );
    app = new StreamsApp({
      kafka,
      applicationId: uniqueName('outage-app'),
      // counts words (`word:n` out, store `counts`) and, every 200 ms, bumps a `~tick` entry of the same store
      topology: countingTopology({ input: t.in, output: t.out, tickEveryMs: 200 }),
      dlqTopic: t.dlq,
      stateDir,
      sessionTimeoutMs: 6_000,
    });
    const restores: Array<{ at: number; taskId: string; restored: number }> = [];
    app.events.on('restore-complete', (e) => restores.push({ at: Date.now(), taskId: e.taskId, restored: e.restored }));
    const failures: number[] = [];
    app.events.on('task-error', () => failures.push(Date.now()));
    await app.start();
    const before = await readCommitted(kafka, t.out, (r) => r.length >= first.length, 60_000);
    expect(exactlyOnceProblems(before, expectedCounts(first))).toEqual([]);
    await new Promise((r) => setTimeout(r, 2_000)); // some ticks committed: changelog ≈ 400 counts + ticks

    const stoppedAt = Date.now();
    broker.stop();
    let unready = false;
    await waitFor(() => (unready ||= !app?.consumerHealthy), OUTAGE_MS, 'readiness to drop').catch(() => undefined);
    const left = OUTAGE_MS - (Date.now() - stoppedAt);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    broker.start();
    const restartedAt = Date.now();

    const second = wordsOf(400, 3);
    await produce(
      kafka,
      t.in,
      second.map((w) => ({ key: w, value: w })),
    );
    const all = [...first, ...second];
    const out = await readCommitted(kafka, t.out, (r) => r.length >= all.length, 90_000, 1_000);
    expect(exactlyOnceProblems(out, expectedCounts(all))).toEqual([]);
    await waitFor(() => app?.consumerHealthy === true, 30_000, 'readiness to come back');
    const after = restores.filter((r) => r.at >= stoppedAt);
    // (a commit in flight when the broker went away may only fail once it is back)
    const failedSinceOutage = failures.filter((f) => f >= stoppedAt).length;
    // the numbers for the issue notes
    console.log(
      `outage ${OUTAGE_MS} ms: task failures since it began ${failedSinceOutage}, relaunch restores ${after.length} ` +
        `(records restored ${after.map((r) => r.restored).join(',')}), back ${Date.now() - restartedAt} ms after restart`,
    );
    expect(unready).toBe(true);
    expect(failedSinceOutage).toBeGreaterThanOrEqual(2); // both tasks had a commit fail
    expect(after.length).toBeGreaterThanOrEqual(2); // and were relaunched...
    // ...restoring at most a few records each (what the changelog got after the last commit they saw), not the
    // 200+ records each task's changelog partition held before the outage
    for (const r of after) expect(r.restored).toBeLessThan(20);
  }, 300_000);
});
