// kafkajs as patched by patches/kafkajs+2.2.4.patch, fix 12 (KIP-447, see kafkajs-fixes.ts): TxnOffsetCommit v3 and
// OffsetFetch v7 are encoded and decoded byte for byte as Kafka's message specs lay them out
// (clients/src/main/resources/common/message/{TxnOffsetCommit,OffsetFetch}{Request,Response}.json: flexible versions,
// compact strings and arrays, tagged-field sections; request header v2, response header v1). The sample bytes below
// are derived by hand from those specs, not produced by the code under test.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import './kafkajs-fixes.js';
import { unstableOffsetsAttempts, unstableOffsetsDelayMs } from './kafkajs-port.js';

const require = createRequire(import.meta.url);

interface Request {
  readonly apiKey: number;
  readonly apiVersion: number;
  encode(): Promise<{ readonly buffer: Buffer }>;
}
interface Protocol {
  readonly versions: string[];
  protocol(v: { version: number }): (args: Record<string, unknown>) => {
    request: Request;
    response: { decode(b: Buffer): Promise<unknown>; parse(d: unknown): Promise<unknown> };
  };
}
const TxnOffsetCommit = require('kafkajs/src/protocol/requests/txnOffsetCommit/index.js') as Protocol;
const OffsetFetch = require('kafkajs/src/protocol/requests/offsetFetch/index.js') as Protocol & {
  stableVersion: number;
};
const { lookup } = require('kafkajs/src/protocol/requests/index.js') as {
  lookup: (
    versions: Record<number, { minVersion: number; maxVersion: number }>,
  ) => (apiKey: number, definition: Protocol) => (args: Record<string, unknown>) => { request: Request };
};
const createRequest = require('kafkajs/src/protocol/request.js') as (r: {
  correlationId: number;
  clientId: string;
  request: Request;
}) => Promise<{ readonly buffer: Buffer }>;

/** Hex with spaces and comments allowed: `'00 1c # api key'`. */
const hex = (...lines: string[]) =>
  Buffer.from(lines.map((l) => l.replace(/#.*/, '').replace(/\s+/g, '')).join(''), 'hex');

const txnArgs = {
  transactionalId: 'tx',
  groupId: 'g',
  producerId: 1,
  producerEpoch: 2,
  topics: [{ topic: 't', partitions: [{ partition: 0, offset: '5' }] }],
};

describe('kafkajs patch 12: TxnOffsetCommit v3 (KIP-447)', () => {
  it('frames the request with header v2 and encodes the group metadata as compact fields', async () => {
    const { request } = TxnOffsetCommit.protocol({ version: 3 })({
      ...txnArgs,
      generationId: 3,
      memberId: 'm',
      groupInstanceId: 'i',
    });
    const framed = await createRequest({ correlationId: 7, clientId: 'c', request });
    expect(framed.buffer).toEqual(
      hex(
        '00 00 00 3b', // size: 59 bytes follow
        '00 1c  00 03  00 00 00 07  00 01 63', // api key 28, version 3, correlation id 7, client id 'c' (INT16 length)
        '00', // header v2: empty tagged fields
        '03 74 78', // transactional_id 'tx' (compact: length + 1)
        '02 67', // group_id 'g'
        '00 00 00 00 00 00 00 01', // producer_id 1
        '00 02', // producer_epoch 2
        '00 00 00 03', // generation_id 3
        '02 6d', // member_id 'm'
        '02 69', // group_instance_id 'i'
        '02', // topics: 1 (compact: count + 1)
        '02 74', //   name 't'
        '02', //   partitions: 1
        '00 00 00 00', //     partition_index 0
        '00 00 00 00 00 00 00 05', //     committed_offset 5
        'ff ff ff ff', //     committed_leader_epoch -1
        '00', //     committed_metadata null
        '00', //     partition tagged fields
        '00', //   topic tagged fields
        '00', // request tagged fields
      ),
    );
  });

  it('without group metadata sends the defaults: generation -1, member id empty, no group instance id', async () => {
    const { request } = TxnOffsetCommit.protocol({ version: 3 })(txnArgs);
    const body = (await request.encode()).buffer;
    // after '00 | 03 74 78 | 02 67 | producer id (8) | epoch (2)': generation, member id, group instance id
    expect(body.subarray(16, 22)).toEqual(hex('ff ff ff ff', '01', '00'));
  });

  it('decodes the response after its header v1 tagged fields, skipping tagged fields by their size', async () => {
    const { response } = TxnOffsetCommit.protocol({ version: 3 })(txnArgs);
    const body = hex(
      '00', // response header v1 tagged fields (the correlation id is read by the connection)
      '00 00 00 0a', // throttle_time_ms 10
      '02', // topics: 1
      '02 74', //   name 't'
      '03', //   partitions: 2
      '00 00 00 00  00 16', //     partition 0, error 22 ILLEGAL_GENERATION
      '01  05 02 ab cd', //     one tagged field: tag 5, size 2, two bytes (kafkajs read the size as length + 1)
      '00 00 00 01  00 00', //     partition 1, no error
      '00',
      '00', //   topic tagged fields
      '00', // response tagged fields
    );
    const decoded = await response.decode(body);
    expect(decoded).toEqual({
      throttleTime: 0,
      clientSideThrottleTime: 10,
      topics: [
        {
          topic: 't',
          partitions: [
            { partition: 0, errorCode: 22 },
            { partition: 1, errorCode: 0 },
          ],
        },
      ],
    });
    await expect(response.parse(decoded)).rejects.toMatchObject({ type: 'ILLEGAL_GENERATION', retriable: false });
  });

  it('is what kafkajs negotiates when the broker has it; a commit with group metadata needs it', async () => {
    const pick = (maxVersion: number) => lookup({ 28: { minVersion: 0, maxVersion } })(28, TxnOffsetCommit);
    expect(pick(5)(txnArgs).request.apiVersion).toBe(3);
    expect(pick(2)(txnArgs).request.apiVersion).toBe(2);
    expect(() => pick(2)({ ...txnArgs, generationId: 3, memberId: 'm' })).toThrow(/needs version 3.*up to 2/);
    // version 2 adds the leader epoch to version 1's layout
    const v2 = (await pick(2)(txnArgs).request.encode()).buffer;
    expect(v2.subarray(v2.length - 14)).toEqual(hex('00 00 00 00 00 00 00 05', 'ff ff ff ff', 'ff ff'));
  });
});

describe('kafkajs patch 12: OffsetFetch v7 with require_stable (KIP-447)', () => {
  it('encodes group, topics with partition indexes and require_stable as compact fields', async () => {
    const { request } = OffsetFetch.protocol({ version: 7 })({
      groupId: 'g',
      topics: [{ topic: 't', partitions: [{ partition: 0 }, { partition: 1 }] }],
      requireStable: true,
    });
    const framed = await createRequest({ correlationId: 7, clientId: 'c', request });
    expect(framed.buffer).toEqual(
      hex(
        '00 00 00 1d', // size: 29 bytes follow
        '00 09  00 07  00 00 00 07  00 01 63', // api key 9, version 7, correlation id 7, client id 'c'
        '00', // header v2: empty tagged fields
        '02 67', // group_id 'g'
        '02', // topics: 1
        '02 74', //   name 't'
        '03  00 00 00 00  00 00 00 01', //   partition_indexes: [0, 1]
        '00', //   topic tagged fields
        '01', // require_stable true
        '00', // request tagged fields
      ),
    );
  });

  it('decodes offsets, leader epochs and per-partition errors; UNSTABLE_OFFSET_COMMIT is retriable', async () => {
    const { response } = OffsetFetch.protocol({ version: 7 })({ groupId: 'g', topics: [], requireStable: true });
    const body = hex(
      '00', // response header v1 tagged fields
      '00 00 00 00', // throttle_time_ms 0
      '02', // topics: 1
      '02 74', //   name 't'
      '03', //   partitions: 2
      '00 00 00 00  00 00 00 00 00 00 00 2a  00 00 00 04  02 6d  00 00  00', //   0: offset 42, epoch 4, 'm'
      '00 00 00 01  ff ff ff ff ff ff ff ff  ff ff ff ff  00  00 58  00', //   1: none (-1), error 88
      '00', //   topic tagged fields
      '00 00', // error_code 0
      '00', // response tagged fields
    );
    const decoded = await response.decode(body);
    expect(decoded).toEqual({
      throttleTime: 0,
      clientSideThrottleTime: 0,
      errorCode: 0,
      responses: [
        {
          topic: 't',
          partitions: [
            { partition: 0, offset: '42', leaderEpoch: 4, metadata: 'm', errorCode: 0 },
            { partition: 1, offset: '-1', leaderEpoch: -1, metadata: null, errorCode: 88 },
          ],
        },
      ],
    });
    await expect(response.parse(decoded)).rejects.toMatchObject({ type: 'UNSTABLE_OFFSET_COMMIT', retriable: true });
  });

  it('is sent only when stable offsets are required: kafkajs keeps negotiating versions 1-4 otherwise', () => {
    expect(OffsetFetch.versions).toEqual(['1', '2', '3', '4']);
    expect(OffsetFetch.stableVersion).toBe(7);
    const pick = lookup({ 9: { minVersion: 1, maxVersion: 9 } })(9, OffsetFetch);
    expect(pick({ groupId: 'g', topics: [] }).request.apiVersion).toBe(4);
  });
});

describe('requireStable offset fetches: back-off', () => {
  it('waits 20 ms doubling up to 500 ms between fetches, for at least the wait asked for', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(unstableOffsetsDelayMs)).toEqual([20, 40, 80, 160, 320, 500, 500]);
    // 20 + 40 = 60 ms of waits: three fetches
    expect(unstableOffsetsAttempts(60)).toBe(3);
    expect(unstableOffsetsAttempts(0)).toBe(1);
    const waited = (n: number) =>
      Array.from({ length: n - 1 }, (_, i) => unstableOffsetsDelayMs(i + 1)).reduce((a, b) => a + b, 0);
    const n = unstableOffsetsAttempts(60_000);
    expect(waited(n)).toBeGreaterThanOrEqual(60_000);
    expect(waited(n - 1)).toBeLessThan(60_000);
  });
});
