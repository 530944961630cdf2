// Aborted commands are never executed. The engine writes jo.commands.<connector> with one transactional producer
// per task, so transactions of several producers interleave on one partition. kafkajs 2.2.4 lets records of
// aborted transactions through when the broker lists them (in completion order) out of start order; the connector
// must decide from the control markers instead, and must not stall when a commit marker lands after the LSO.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBrokers, uniqueName, readCommitted, testKafka } from '../topology/testing/index.js';
import { startHttpEndpoint, type TestHttpEndpoint, command, createConnectorTopics, results } from './testing/index.js';
import { parseOutboundPolicy, type ActionCommand } from '../schemas/index.js';
import type { Admin } from '../topology/index.js';
import type { KafkaJsClient as KafkaClient, KafkaJsProducer as Producer } from '../topology/testing/index.js';
import type { CommandConsumer } from './command-consumer.js';
import { createHttpActionConnector } from './http-action-connector.js';
import { HttpClient } from './http-client.js';
import { LimitRegistry } from './limits.js';

let kafka: KafkaClient;
let admin: Admin;
let ep: TestHttpEndpoint;
let http: HttpClient;
const producers: Producer[] = [];
let c: CommandConsumer | undefined;

beforeAll(async () => {
  kafka = testKafka(testBrokers(), 'connectors-rc');
  admin = kafka.admin();
  await admin.connect();
  ep = await startHttpEndpoint();
  http = new HttpClient({ outbound: parseOutboundPolicy(['127.0.0.1']), limits: new LimitRegistry() });
});
afterAll(async () => {
  await c?.stop();
  await Promise.all(producers.map((p) => p.disconnect()));
  await http.close();
  await ep.close();
  await admin.disconnect();
});

async function txProducer(): Promise<Producer> {
  const p = kafka.producer({ transactionalId: uniqueName('tx-engine'), idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  producers.push(p);
  return p;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('read_committed commands', () => {
  it('calls only the endpoints of committed commands when transactions of several producers interleave', async () => {
    const t = await createConnectorTopics(admin, `${uniqueName('c-rc')}.`, 1);
    const topic = t.names.commands('http');
    const committed: ActionCommand[] = [];
    const aborted: ActionCommand[] = [];
    const cmd = (kind: 'committed' | 'aborted'): ActionCommand => {
      const x = command(`${ep.url}/${kind}/${committed.length + aborted.length}`, {}, 120_000);
      (kind === 'committed' ? committed : aborted).push(x);
      return x;
    };
    const [p1, p2, p3] = [await txProducer(), await txProducer(), await txProducer()];
    const send = (tx: Awaited<ReturnType<Producer['transaction']>>, x: ActionCommand) =>
      tx.send({ topic, messages: [{ key: x.profileKey, value: JSON.stringify(x), partition: 0 }] });

    // Two tasks' transactions are aborted in the opposite order they started (a crashed instance's tasks are
    // fenced one by one), while a third task commits between them. One abort alone kafkajs handles; this order
    // makes it let the first aborted transaction through.
    const a1 = await p1.transaction();
    await send(a1, cmd('aborted'));
    const a2 = await p2.transaction();
    await send(a2, cmd('aborted'));
    await send(a1, cmd('aborted'));
    const c3 = await p3.transaction();
    await send(c3, cmd('committed'));
    await send(a2, cmd('aborted'));
    await a2.abort();
    await send(c3, cmd('committed'));
    await c3.commit();
    await a1.abort();

    c = createHttpActionConnector({
      kafka,
      http,
      topicPrefix: t.prefix,
      groupId: uniqueName('g-rc'),
      transactionalId: uniqueName('tx-rc'),
      maxInFlight: 4,
    });
    await c.start();
    await ep.waitForRequests(2, 60_000, (r) => r.path.startsWith('/committed/'));

    // Live: a committed transaction whose marker lands after an open one (so past the last stable offset) is
    // fetched before its marker, then the open one aborts: the committed command must still be called.
    const d1 = await p1.transaction();
    await send(d1, cmd('committed'));
    const e2 = await p2.transaction();
    await send(e2, cmd('aborted'));
    await d1.commit();
    await pause(1_500);
    await send(e2, cmd('aborted'));
    await e2.abort();
    const f3 = await p3.transaction();
    await send(f3, cmd('committed'));
    await f3.commit();

    const got = results(await readCommitted(kafka, t.names.actionResults, committed.length, 60_000, 2_000));
    expect(got.map((r) => r.commandId).sort()).toEqual(committed.map((x) => x.commandId).sort());
    const called = ep.requests().map((r) => String(r.headers['idempotency-key']));
    expect(called.filter((k) => aborted.some((x) => x.commandId === k))).toEqual([]);
    expect(new Set(called)).toEqual(new Set(committed.map((x) => x.commandId)));
    expect(ep.requests().filter((r) => r.path.startsWith('/aborted/'))).toEqual([]);
  });
});
