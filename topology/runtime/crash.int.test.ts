// Exactly-once under crashes: a stateful counting app (with a repartition hop and RocksDB stores) runs in a child
// process over 100k records and is SIGKILLed at random points several times; after the restarts the committed
// output holds every count exactly once and the final store holds the expected counts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  testBrokers,
  uniqueName,
  createTopics,
  produce,
  readCommitted,
  testKafka,
  exactlyOnceProblems,
  expectedCounts,
} from '../testing/index.js';

const RECORDS = 100_000;
const WORDS = 500;
const KILLS = 3;
const root = mkdtempSync(join(tmpdir(), 'topology-crash-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

interface Child {
  readonly child: ChildProcess;
  readonly running: Promise<void>;
  readonly exited: Promise<number | null>;
  /** Input records this run processed (as of its last commit) and changelog records it restored. */
  readonly progress: { processed: number; restored: number };
}

function startChild(env: Record<string, string>): Child {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '../testing/fixtures/counting-child.ts')],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4_000)));
  const progress = { processed: 0, restored: 0 };
  const running = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      const text = d.toString();
      if (text.includes('RUNNING')) resolve();
      for (const m of text.matchAll(/PROCESSED (\d+)/g)) progress.processed = Number(m[1]);
      for (const m of text.matchAll(/RESTORED \S+ (\d+)/g)) progress.restored += Number(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before running:\n${err}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, running, exited, progress };
}

for (const scope of ['task', 'process'] as const)
  it(
    `counts ${RECORDS} records exactly once across ${KILLS} SIGKILLs and restarts (transactions per ${scope})`,
    { timeout: 420_000 },
    async () => {
      const stateDir = join(root, scope);
      const kafka = testKafka(testBrokers());
      const admin = kafka.admin();
      await admin.connect();
      const input = uniqueName('t-crash-in');
      const output = uniqueName('t-crash-out');
      const dlq = uniqueName('t-crash-dlq');
      await createTopics(admin, [
        { name: input, partitions: 3 },
        { name: output, partitions: 3 },
        { name: dlq, partitions: 1 },
      ]);
      await admin.disconnect();
      const words = Array.from({ length: RECORDS }, (_, i) => `w${(i * 7) % WORDS}`);
      await produce(
        kafka,
        input,
        words.map((w, i) => ({ key: `k${i}`, value: w })),
      );
      const env = {
        COUNT_BROKERS: testBrokers().join(','),
        COUNT_APP_ID: uniqueName('app-crash'),
        COUNT_INPUT: input,
        COUNT_OUTPUT: output,
        COUNT_DLQ: dlq,
        COUNT_STATE_DIR: stateDir,
        COUNT_DUMP_FILE: join(stateDir, `dump-${scope}.json`),
        COUNT_TXN_SCOPE: scope,
        COUNT_INSTANCE_ID: 'crash-test-instance',
      };
      const killedAt: number[] = [];
      let restored = 0;
      for (let k = 0; k < KILLS; k++) {
        const run = startChild(env);
        await run.running;
        // Kill at a random point of the stream: once this run has committed a random amount of work.
        const target = 1_000 + Math.floor(Math.random() * 15_000);
        const deadline = performance.now() + 90_000;
        while (run.progress.processed < target && performance.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, Math.random() * 300));
        run.child.kill('SIGKILL');
        expect(await run.exited).toBe(null);
        killedAt.push(run.progress.processed);
        restored += run.progress.restored;
      }
      const last = startChild(env);
      await last.running;
      const out = await readCommitted(kafka, output, (r) => r.length >= RECORDS, 150_000, 2_000);
      last.child.kill('SIGTERM');
      expect(await last.exited).toBe(0);
      // The kills landed mid-stream (each run had committed some work, not all of it), and restarts restored state.
      expect(killedAt.filter((n) => n > 0 && n < RECORDS)).toHaveLength(KILLS);
      expect(restored + last.progress.restored).toBeGreaterThan(0);
      const expected = expectedCounts(words);
      expect(exactlyOnceProblems(out, expected)).toEqual([]);
      expect(out).toHaveLength(RECORDS);
      const dump = JSON.parse(readFileSync(env.COUNT_DUMP_FILE, 'utf8')) as Record<string, number>;
      expect(dump).toEqual(Object.fromEntries(expected));
    },
  );
