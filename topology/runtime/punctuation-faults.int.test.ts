// A punctuator that fails half-way must not lose what it had already removed. A "wait" store (like the journey
// timer index) is drained by a wall-clock punctuator that deletes each entry and forwards it; it throws once in the
// middle. Before: the error was swallowed and the task committed the deletions of that punctuation (the failed
// entry's included) without the outputs it never got to produce — the wait was gone for good. Now the punctuation's
// writes are dropped with the task's open transaction and the task is relaunched: every wait comes out once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  testBrokers,
  uniqueName,
  createTopics,
  produce,
  readCommitted,
  stringPipeline,
  testKafka,
} from '../testing/index.js';
import type { Admin } from '../kafka/kafka-client.js';
import type { Topology } from '../api/builder.js';
import type { ProcessorContext } from '../api/processor.js';
import { stringSerde, type KeyValueStore } from '../api/store.js';
import { StreamsApp } from './streams-app.js';

const kafka = testKafka(testBrokers(), 'punctuation-faults');
let admin: Admin;
let stateDir: string;
const apps: StreamsApp[] = [];

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  stateDir = await mkdtemp(join(tmpdir(), 'punct-faults-'));
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await admin.disconnect();
  await rm(stateDir, { recursive: true, force: true });
});

/** `process` stores each key as a wait; a punctuator fires the stored waits: delete, then forward. */
function waitsTopology(input: string, output: string, failOnce: Set<string>): Topology {
  return stringPipeline({
    input,
    output,
    name: 'waits',
    stores: [{ name: 'waits', serde: stringSerde }],
    processor: () => {
      let ctx: ProcessorContext<string, string>;
      let store: KeyValueStore<string>;
      return {
        init: (c) => {
          ctx = c;
          store = c.getStateStore<string>('waits');
          c.schedule(100, 'wall-clock', async (now) => {
            const due: string[] = [];
            for await (const [k] of store.all()) due.push(k);
            for (const k of due) {
              await store.delete(k); // written first, as the journey timers did
              if (failOnce.delete(k)) throw new Error(`firing ${k} failed`);
              await ctx.forward({ key: k, value: `fired:${k}`, timestamp: now, headers: {} });
            }
          });
        },
        process: (r) => store.put(r.key ?? '', r.value ?? ''),
      };
    },
  });
}

describe('a punctuator that throws half-way', () => {
  it('loses no wait: its removals are aborted with the transaction and the punctuation runs again', async () => {
    const t = { in: uniqueName('waits-in'), out: uniqueName('waits-out'), dlq: uniqueName('waits-dlq') };
    await createTopics(admin, [
      { name: t.in, partitions: 1 },
      { name: t.out, partitions: 1 },
      { name: t.dlq, partitions: 1 },
    ]);
    const keys = Array.from({ length: 20 }, (_, i) => `w${i}`);
    await produce(
      kafka,
      t.in,
      keys.map((k) => ({ key: k, value: 'wait' })),
    );
    const failOnce = new Set(['w7']);
    const app = new StreamsApp({
      kafka,
      applicationId: uniqueName('waits-app'),
      topology: waitsTopology(t.in, t.out, failOnce),
      dlqTopic: t.dlq,
      stateDir,
      sessionTimeoutMs: 6_000,
    });
    apps.push(app);
    const failures: string[] = [];
    app.events.on('task-error', (e) => failures.push(String(e.error)));
    await app.start();
    const out = await readCommitted(kafka, t.out, (r) => r.length >= keys.length, 60_000, 1_500);
    expect(out.map((r) => r.key).sort()).toEqual([...keys].sort());
    expect(failOnce.size).toBe(0); // the fault did happen
    expect(failures.some((f) => f.includes('firing w7 failed'))).toBe(true);
    await app.close();
  }, 90_000);
});
