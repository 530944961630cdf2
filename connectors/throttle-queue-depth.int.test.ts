// Issue 18 point 1, `jo_action_queue_depth`: the depth of the durable throttle queue, not only the batch the queue
// consumer has fetched. 6,000 commands of an action throttled at 20/s are queued at once (a fetch holds ~2,000 of
// them); the gauge must show what is really left in the queue — checked against the endpoint's calls and against
// the queue group's lag read from the broker — and come down as the queue drains.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOutboundPolicy, type ActionConfig } from '../schemas/index.js';
import { testBrokers, uniqueName, produce, testKafka } from '../topology/testing/index.js';
import { InMemoryMetrics, type Admin, type KafkaClient } from '../topology/index.js';
import {
  startHttpEndpoint,
  type TestHttpEndpoint,
  asRecords,
  command,
  createConnectorTopics,
} from './testing/index.js';
import { HttpClient } from './http-client.js';
import { createHttpActionConnector } from './http-action-connector.js';

const M = 6_000;
const RATE = 20;

let kafka: KafkaClient;
let admin: Admin;
let ep: TestHttpEndpoint;

beforeAll(async () => {
  kafka = testKafka(testBrokers(), 'connectors-throttle-depth');
  admin = kafka.admin();
  await admin.connect();
  ep = await startHttpEndpoint();
});
afterAll(async () => {
  await ep.close();
  await admin.disconnect();
});

/** Records between the queue group's committed offsets and the ends of the queue topic (markers included). */
async function queueLag(topic: string, groupId: string): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  let lag = 0;
  for (const e of ends) {
    const c = committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
    lag += Number(e.high) - Math.max(Number(c), Number(e.low));
  }
  return lag;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('throttle queue depth (issue 18)', () => {
  it(`${M} queued commands: the depth gauge shows the whole queue and comes down as it drains`, async () => {
    const t = await createConnectorTopics(admin, `${uniqueName('c-throttle-depth')}.`);
    ep.respond('/depth', { status: 200, body: { ok: true } });
    const action: ActionConfig = {
      id: 'deep',
      type: 'http',
      url: `${ep.url}/depth`,
      method: 'POST',
      throttle: { perSecond: RATE, maxDelay: 'PT6H' },
    };
    const metrics = new InMemoryMetrics();
    const groupId = uniqueName('g-throttle-depth');
    const connector = createHttpActionConnector({
      kafka: testKafka(testBrokers(), 'connector-throttle-depth'),
      topicPrefix: t.prefix,
      groupId,
      transactionalId: uniqueName('tx-throttle-depth'),
      sessionTimeoutMs: 6_000,
      metrics,
      http: new HttpClient({ outbound: parseOutboundPolicy(['127.0.0.1']) }),
      actionConfig: (id) => (id === action.id ? action : undefined),
    });
    const depth = () => metrics.value('jo_action_queue_depth', { action: action.id });
    const cmds = Array.from({ length: M }, () => command(`${ep.url}/depth`, { action: action.id }, 6 * 3600_000));
    await produce(kafka, t.names.commands('http'), asRecords(cmds));
    await connector.start();
    try {
      // every command moved into the queue (the queue topic holds them all), then one depth sample later
      const queueTopic = `${t.prefix}action-queue.http`;
      for (let i = 0; i < 240; i++) {
        const ends = await admin.fetchTopicOffsets(queueTopic).catch(() => []);
        if (ends.reduce((s, e) => s + Number(e.high), 0) >= M) break;
        await sleep(250);
      }
      await sleep(2_500);
      const first = { depth: depth(), called: ep.requests('/depth').length };
      const lag = await queueLag(queueTopic, `${groupId}-queue`);
      // what is left = queued − answered; calls made but not yet committed are still in the queue (≤ a chunk)
      const left = M - first.called;
      expect(first.depth).toBeGreaterThan(left - 100);
      // transaction markers and a sample up to 2 s old may add a little, never a second queue
      expect(first.depth).toBeLessThanOrEqual(left + M * 0.05 + 2 * RATE);
      expect(first.depth).toBeLessThanOrEqual(lag + 2 * RATE);
      expect(first.depth).toBeGreaterThan(M * 0.9);

      await sleep(6_000);
      const later = { depth: depth(), called: ep.requests('/depth').length };
      expect(later.called).toBeGreaterThan(first.called);
      expect(later.depth).toBeLessThan(first.depth);
      expect(later.depth).toBeGreaterThan(M - later.called - 100);
      console.log(
        `throttle-queue depth: ${M} queued; gauge ${first.depth} with ${first.called} called (queue lag ${lag}), ` +
          `then ${later.depth} with ${later.called} called`,
      );
    } finally {
      await connector.stop();
    }
  }, 120_000);
});
