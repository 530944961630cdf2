// Fast rejoin (group-members.ts + the kafkajs patch's `memberId` consumer option): a member SIGKILLed in a child
// process is replaced by a new process that joins as the SAME member (the id remembered in the state directory's
// file), so the coordinator does not wait out the dead member's session; the remembered id is used by the first
// consumer of the group only; an id the coordinator no longer knows falls back to joining as a new member; a
// consumer that kafkajs restarts after a crash rejoins as the member it was (no LeaveGroup on the way down).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createKafka, type KafkaJsConsumer } from './kafka-client.js';
import { brokerSuite, createTopics, exited, testBrokers, uniqueName } from '../testing/index.js';

const suite = brokerSuite('group-members-int');
const consumers: KafkaJsConsumer[] = [];

/** A client of a restarted process: `groupMembers` on, reading and writing `file`. */
function restartedClient(file: string, group: string) {
  return createKafka({
    brokers: testBrokers(),
    clientId: 'group-members-int',
    logLevel: 'nothing',
    groupMembers: { file, groups: (g) => g === group },
  });
}

/** Starts a consumer of `group` on `topic`; resolves with the member id of its first join. */
async function joined(kafka: ReturnType<typeof restartedClient>, group: string, topic: string): Promise<string> {
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 20_000, heartbeatInterval: 1_000 });
  consumers.push(consumer);
  const join = new Promise<string>((resolve) => consumer.onGroupJoin((e) => resolve(e.memberId)));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachBatch: async () => {} });
  return join;
}

async function stopAll(): Promise<void> {
  await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
}

it('a restarted process rejoins as the member its SIGKILLed predecessor was; a second consumer joins as new', async () => {
  const topic = uniqueName('gm-topic');
  const group = uniqueName('gm-group');
  const file = join(suite.tempDir('group-members-'), 'group-members.json');
  await createTopics(suite.admin, [{ name: topic, partitions: 2 }]);
  let first = '';
  const child = await suite.children.start(new URL('../testing/fixtures/group-member-child.ts', import.meta.url), {
    env: { GM_BROKERS: testBrokers().join(','), GM_GROUP: group, GM_TOPIC: topic, GM_FILE: file },
    ready: 'JOINED',
    onStdout: (t) => (first ||= /JOINED (\S+)/.exec(t)?.[1] ?? ''),
  });
  expect(first).not.toBe('');
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ [group]: first });
  child.kill('SIGKILL');
  await exited(child);

  try {
    const kafka = restartedClient(file, group);
    expect(await joined(kafka, group, topic)).toBe(first);
    // the dead member was replaced, not joined by a second one
    expect((await suite.admin.describeGroupMembers(group)).map((m) => m.memberId)).toEqual([first]);
    const second = await joined(kafka, group, topic);
    expect(second).not.toBe(first);
    expect((await suite.admin.describeGroupMembers(group)).map((m) => m.memberId).sort()).toEqual(
      [first, second].sort(),
    );
  } finally {
    await stopAll();
  }
}, 90_000);

it('a remembered member id the coordinator does not know: the consumer joins as a new member', async () => {
  const topic = uniqueName('gm-topic');
  const group = uniqueName('gm-group');
  const file = join(suite.tempDir('group-members-'), 'group-members.json');
  await createTopics(suite.admin, [{ name: topic, partitions: 1 }]);
  const stale = `group-members-int-${'0'.repeat(8)}-0000-0000-0000-000000000000`;
  writeFileSync(file, JSON.stringify({ [group]: stale }));
  try {
    const member = await joined(restartedClient(file, group), group, topic);
    expect(member).not.toBe(stale);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ [group]: member });
  } finally {
    await stopAll();
  }
}, 90_000);

it('a consumer crash that kafkajs restarts rejoins as the same member, without leaving the group first', async () => {
  const topic = uniqueName('gm-topic');
  const group = uniqueName('gm-group');
  await createTopics(suite.admin, [{ name: topic, partitions: 1 }]);
  const kafka = restartedClient(join(suite.tempDir('group-members-'), 'group-members.json'), group);
  // no retries: the first failing batch crashes the consumer (retriable, so kafkajs restarts it after 100 ms)
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: 20_000,
    heartbeatInterval: 1_000,
    retry: { retries: 0, initialRetryTime: 100 },
  });
  consumers.push(consumer);
  const joins: string[] = [];
  const crashes: boolean[] = [];
  consumer.onGroupJoin((e) => joins.push(e.memberId));
  consumer.onCrash((e) => crashes.push(e.restart));
  let failed = false;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async () => {
        if (failed) return;
        failed = true;
        throw new Error('a batch handler failed once');
      },
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'x' }] });
    await producer.disconnect();
    await expect.poll(() => joins.length, { timeout: 30_000 }).toBe(2);
    expect(crashes).toEqual([true]);
    // before the patch's fix 13 the crash sent LeaveGroup: the rejoin was refused and a new member id followed
    expect(joins[1]).toBe(joins[0]);
    expect((await suite.admin.describeGroupMembers(group)).map((m) => m.memberId)).toEqual([joins[0]]);
  } finally {
    await stopAll();
  }
}, 90_000);
