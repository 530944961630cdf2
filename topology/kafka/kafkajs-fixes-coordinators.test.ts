// kafkajs patch 5 (patches/kafkajs+2.2.4.patch, eosManager): the transactional producer's coordinators are looked
// up once, not before every transactional request, and looked up again after a request fails because the
// coordinator moved or cannot be reached. Drives kafkajs' own transaction manager over a recording stand-in for its
// cluster (brokers that answer each request, some with a coordinator error); the broker run is in
// kafkajs-fixes-coordinators.int.test.ts.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

type Request = 'initProducerId' | 'addPartitionsToTxn' | 'addOffsetsToTxn' | 'txnOffsetCommit' | 'endTxn';
interface EosManager {
  initProducerId(): Promise<void>;
  beginTransaction(): void;
  addPartitionsToTransaction(
    t: ReadonlyArray<{ topic: string; partitions: Array<{ partition: number }> }>,
  ): Promise<void>;
  sendOffsets(o: { consumerGroupId: string; topics: unknown[] }): Promise<void>;
  commit(): Promise<void>;
}
const createEosManager = require('kafkajs/src/producer/eosManager/index.js') as (o: object) => EosManager;
const { KafkaJSProtocolError, KafkaJSConnectionError } = require('kafkajs/src/errors.js') as {
  KafkaJSProtocolError: new (e: object) => Error;
  KafkaJSConnectionError: new (m: string) => Error;
};
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as {
  createErrorFromCode: (c: number) => object;
};
const { createLogger, LEVELS } = require('kafkajs/src/loggers/index.js') as {
  createLogger: (o: object) => object;
  LEVELS: { NOTHING: number };
};
const NOT_COORDINATOR = 16;
const COORDINATOR_NOT_AVAILABLE = 15;
const COORDINATOR_LOAD_IN_PROGRESS = 14;
const TRANSACTION = 1;

/** kafkajs' cluster as the transaction manager uses it: coordinator lookups and brokers by node id, recorded. */
function recordingCluster() {
  const lookups: string[] = [];
  const requests: string[] = [];
  const failures: Array<{ request: Request; error: () => Error }> = [];
  let coordinatorNode = 1;
  const broker = (nodeId: number) => {
    const answer = (request: Request) => async () => {
      requests.push(`${request}@${nodeId}`);
      const i = failures.findIndex((f) => f.request === request);
      if (i >= 0) throw failures.splice(i, 1)[0]!.error();
      return request === 'initProducerId' ? { producerId: 7, producerEpoch: 0 } : {};
    };
    return {
      nodeId,
      initProducerId: answer('initProducerId'),
      addPartitionsToTxn: answer('addPartitionsToTxn'),
      addOffsetsToTxn: answer('addOffsetsToTxn'),
      txnOffsetCommit: answer('txnOffsetCommit'),
      endTxn: answer('endTxn'),
    };
  };
  const cluster = {
    retry: { retries: 3, initialRetryTime: 1, maxRetryTime: 5 },
    refreshMetadataIfNecessary: async () => {},
    findGroupCoordinator: async ({ groupId, coordinatorType }: { groupId: string; coordinatorType: number }) => {
      lookups.push(`${coordinatorType === TRANSACTION ? 'txn' : 'group'}:${groupId}`);
      return broker(coordinatorNode);
    },
    findBroker: async ({ nodeId }: { nodeId: number }) => broker(nodeId),
  };
  return {
    cluster,
    lookups,
    requests,
    /** The next `request` fails with `error`; the coordinators now live on `movedTo`. */
    fail(request: Request, error: () => Error, movedTo = coordinatorNode) {
      failures.push({ request, error });
      coordinatorNode = movedTo;
    },
  };
}

async function setUp() {
  const c = recordingCluster();
  const eos = createEosManager({
    logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} }),
    cluster: c.cluster,
    transactional: true,
    transactionalId: 'app-0_1',
  });
  await eos.initProducerId();
  const commit = async () => {
    eos.beginTransaction();
    await eos.addPartitionsToTransaction([{ topic: 'out', partitions: [{ partition: 0 }] }]);
    await eos.sendOffsets({ consumerGroupId: 'app', topics: [{ topic: 'in', partitions: [] }] });
    await eos.commit();
  };
  return { ...c, eos, commit };
}
const protocolError = (code: number) => () => new KafkaJSProtocolError(createErrorFromCode(code));

describe('kafkajs patch 5: coordinator cache of the transactional producer', () => {
  it('looks each coordinator up once: a second commit sends no FindCoordinator', async () => {
    const t = await setUp();
    await t.commit();
    expect(t.lookups).toEqual(['txn:app-0_1', 'group:app']);
    t.lookups.length = 0;
    t.requests.length = 0;
    await t.commit();
    await t.commit();
    expect(t.lookups).toEqual([]);
    expect(t.requests.filter((r) => r.startsWith('endTxn'))).toEqual(['endTxn@1', 'endTxn@1']);
  });

  it('looks the transaction coordinator up again after NOT_COORDINATOR, and sends to the new one', async () => {
    const t = await setUp();
    await t.commit();
    t.lookups.length = 0;
    t.requests.length = 0;
    t.fail('addPartitionsToTxn', protocolError(NOT_COORDINATOR), 2);
    t.eos.beginTransaction();
    const partitions = [{ topic: 'out', partitions: [{ partition: 0 }] }];
    await expect(t.eos.addPartitionsToTransaction(partitions)).rejects.toMatchObject({
      type: 'NOT_COORDINATOR_FOR_GROUP',
    });
    expect(t.lookups).toEqual([]);
    await t.eos.addPartitionsToTransaction(partitions); // the caller's retry
    await t.eos.sendOffsets({ consumerGroupId: 'app', topics: [] });
    await t.eos.commit();
    expect(t.lookups).toEqual(['txn:app-0_1']);
    expect(t.requests.slice(-4)).toEqual([
      'addPartitionsToTxn@2',
      'addOffsetsToTxn@2',
      'txnOffsetCommit@1',
      'endTxn@2',
    ]);
  });

  it('retries TxnOffsetCommit at a freshly looked-up group coordinator after COORDINATOR_NOT_AVAILABLE', async () => {
    const t = await setUp();
    await t.commit();
    t.lookups.length = 0;
    t.fail('txnOffsetCommit', protocolError(COORDINATOR_NOT_AVAILABLE), 3);
    await t.commit();
    expect(t.lookups).toEqual(['group:app']);
    expect(t.requests.slice(-3)).toEqual(['txnOffsetCommit@1', 'txnOffsetCommit@3', 'endTxn@1']);
  });

  it('looks up again after COORDINATOR_LOAD_IN_PROGRESS and after a connection error', async () => {
    const t = await setUp();
    await t.commit();
    for (const error of [protocolError(COORDINATOR_LOAD_IN_PROGRESS), () => new KafkaJSConnectionError('gone')]) {
      t.lookups.length = 0;
      t.fail('addOffsetsToTxn', error);
      t.eos.beginTransaction();
      await t.eos.addPartitionsToTransaction([{ topic: 'out', partitions: [{ partition: 1 }] }]);
      await expect(t.eos.sendOffsets({ consumerGroupId: 'app', topics: [] })).rejects.toThrow();
      await t.eos.commit();
      expect(t.lookups).toEqual(['txn:app-0_1']);
    }
  });

  it('keeps the coordinator after an error that says nothing about it (INVALID_TXN_STATE)', async () => {
    const t = await setUp();
    await t.commit();
    t.lookups.length = 0;
    t.fail('addOffsetsToTxn', protocolError(48));
    t.eos.beginTransaction();
    await expect(t.eos.sendOffsets({ consumerGroupId: 'app', topics: [] })).rejects.toMatchObject({
      type: 'INVALID_TXN_STATE',
    });
    await t.eos.sendOffsets({ consumerGroupId: 'app', topics: [] });
    await t.eos.commit();
    expect(t.lookups).toEqual([]);
  });

  it('keeps a group coordinator per consumer group', async () => {
    const t = await setUp();
    for (const group of ['a', 'b', 'a', 'b']) {
      t.eos.beginTransaction();
      await t.eos.sendOffsets({ consumerGroupId: group, topics: [] });
      await t.eos.commit();
    }
    expect(t.lookups).toEqual(['txn:app-0_1', 'group:a', 'group:b']);
  });
});

describe('kafkajs patch 6: CONCURRENT_TRANSACTIONS retried at once by the transaction manager', () => {
  const CONCURRENT_TRANSACTIONS = 51;

  it('retries AddPartitionsToTxn and AddOffsetsToTxn at the same coordinator until the previous commit completed', async () => {
    const t = await setUp();
    await t.commit();
    t.lookups.length = 0;
    t.requests.length = 0;
    for (let i = 0; i < 3; i++) t.fail('addPartitionsToTxn', protocolError(CONCURRENT_TRANSACTIONS));
    for (let i = 0; i < 2; i++) t.fail('addOffsetsToTxn', protocolError(CONCURRENT_TRANSACTIONS));
    await t.commit();
    expect(t.requests).toEqual([
      ...Array<string>(4).fill('addPartitionsToTxn@1'),
      ...Array<string>(3).fill('addOffsetsToTxn@1'),
      'txnOffsetCommit@1',
      'endTxn@1',
    ]);
    expect(t.lookups).toEqual([]);
  });

  it('gives up after 30 attempts and passes the error on', async () => {
    const t = await setUp();
    for (let i = 0; i < 31; i++) t.fail('addOffsetsToTxn', protocolError(CONCURRENT_TRANSACTIONS));
    t.eos.beginTransaction();
    await expect(t.eos.sendOffsets({ consumerGroupId: 'app', topics: [] })).rejects.toMatchObject({
      type: 'CONCURRENT_TRANSACTIONS',
    });
    expect(t.requests.filter((r) => r.startsWith('addOffsetsToTxn'))).toHaveLength(30);
  });
});
