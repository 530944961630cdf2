import { describe, expect, it } from 'vitest';
import { kafkaErrorType, retryKafka, ReadCommittedFilter, detach, type KafkaMessage } from './kafka-client.js';
import { fetchedBatch, offsetsOf } from '../testing/fetched-batch.js';
import { explicitPartitionFirst } from './transactional-producer.js';
import type { RecordBlock } from './record-block.js';
import { Partitioners, type PartitionMetadata } from 'kafkajs';

/** Batches here give data records a key (`k<offset>`), so that detaching copies keys as well as values. */
const batch = (fetchedOffset: number, log: string) =>
  fetchedBatch(fetchedOffset, log, { dataKey: (offset) => Buffer.from(`k${offset}`), highWatermark: '100' });

/** The offsets a filter delivers for one fetched batch. */
const accepted = (f: ReadCommittedFilter, fetchedOffset: number, log: string) =>
  offsetsOf(f.accept(batch(fetchedOffset, log)));

/** A block's records as the task takes them. */
const recordsOf = (bs: RecordBlock[]) => bs.flatMap((b) => Array.from({ length: b.length }, (_, i) => b.record(i)));

describe('ReadCommittedFilter', () => {
  it('drops aborted transactions aborted out of order and keeps offset order', () => {
    const f = new ReadCommittedFilter();
    // p1 and p2 interleave; p2 is aborted before p1; p3 commits.
    expect(accepted(f, 0, '0:p1:txn 1:p2:txn 2:p3:txn 3:p1:txn 4:p2:abort 5:p1:abort 6:p3:commit 7:data')).toEqual([
      2, 7,
    ]);
  });

  it('holds records of an undecided transaction (and later ones) until its marker arrives in a later batch', () => {
    const f = new ReadCommittedFilter();
    expect(accepted(f, 0, '0:p1:txn 1:data')).toEqual([]);
    expect(accepted(f, 2, '2:p1:commit')).toEqual([0, 1]);
  });

  it('reports the first held record until its marker arrives', () => {
    const f = new ReadCommittedFilter();
    f.accept(batch(0, '0:data 1:p1:txn 2:data'));
    expect(f.firstUndecided('t', 0)).toBe('1');
    f.accept(batch(3, '3:p1:abort'));
    expect(f.firstUndecided('t', 0)).toBeUndefined();
  });

  it('ignores re-delivered offsets, and starts afresh after reset', () => {
    const f = new ReadCommittedFilter();
    expect(accepted(f, 0, '0:data 1:data')).toEqual([0, 1]);
    expect(accepted(f, 0, '0:data 1:data')).toEqual([]);
    f.reset('t', 0);
    expect(accepted(f, 1, '0:data 1:data')).toEqual([1]);
  });

  it('delivers records whose bytes no longer share the (large) fetch response buffer, held ones too', () => {
    const response = Buffer.alloc(1 << 20, 0x61);
    const b = batch(0, '0:data 1:p1:txn');
    const raw = (b as unknown as { rawMessages: Array<{ key: Buffer; value: Buffer }> }).rawMessages;
    raw.forEach((m, i) => {
      m.key = response.subarray(i * 10, i * 10 + 2);
      m.value = response.subarray(100 + i * 10, 100 + i * 10 + 5);
    });
    const f = new ReadCommittedFilter();
    const first = f.accept(b);
    const held = f.accept(batch(2, '2:p1:commit'));
    response.fill(0x7a);
    for (const m of [...first, ...held]) {
      expect([m.key?.toString(), m.value?.toString()]).toEqual(['aa', 'aaaaa']);
      expect(m.value?.buffer.byteLength).toBeLessThan(response.length);
      expect(m.key?.buffer.byteLength).toBeLessThan(response.length);
    }
    expect(offsetsOf([...first, ...held])).toEqual([0, 1]);
  });
});

describe('ReadCommittedFilter.acceptBlocks', () => {
  it("gives records whose keys and values share ONE buffer per batch, never the fetch response's", () => {
    const response = Buffer.alloc(1 << 20, 0x61);
    const b = batch(0, '0:data 1:p1:txn 2:p1:commit 3:data 4:p2:txn');
    const raw = (b as unknown as { rawMessages: Array<{ key: Buffer | null; value: Buffer }> }).rawMessages;
    raw.forEach((m, i) => {
      if (i === 3) m.key = null;
      else if (i !== 2) m.key = response.subarray(i * 10, i * 10 + 2);
      m.value = response.subarray(100 + i * 10, 100 + i * 10 + 3 + i);
      response.write(String(i), 100 + i * 10);
    });
    const f = new ReadCommittedFilter();
    const first = recordsOf(f.acceptBlocks(b));
    const held = recordsOf(f.acceptBlocks(batch(5, '5:p2:commit')));
    response.fill(0x7a);
    expect(first.map((r) => r.offset)).toEqual(['0', '1', '3']);
    expect(held.map((r) => r.offset)).toEqual(['4']);
    expect([...first, ...held].map((r) => [r.key?.toString() ?? null, r.value?.toString()])).toEqual([
      ['aa', '0aa'],
      ['aa', '1aaa'],
      [null, '3aaaaa'],
      ['aa', '4aaaaaa'],
    ]);
    // records passing straight through share one copy; a record held behind its transaction was copied when held
    const [r0, , r3] = first;
    expect(new Set([r0?.key?.buffer, r0?.value?.buffer, r3?.value?.buffer]).size).toBe(1);
    for (const r of [...first, ...held]) expect(r.value?.buffer).not.toBe(response.buffer);
    expect(first.map((r) => [r.topic, r.partition, r.timestamp])).toEqual([
      ['t', 0, 0],
      ['t', 0, 0],
      ['t', 0, 0],
    ]);
  });

  it('copies small buffers too (one buffer for the whole batch)', () => {
    const f = new ReadCommittedFilter();
    const b = batch(0, '0:data 1:data');
    const raw = (b as unknown as { rawMessages: Array<{ value: Buffer }> }).rawMessages;
    const [r0, r1] = recordsOf(f.acceptBlocks(b));
    expect([r0?.value?.toString(), r1?.value?.toString()]).toEqual(['v0', 'v1']);
    expect(r0?.value).not.toBe(raw[0]?.value);
    expect(r0?.value?.buffer).toBe(r1?.value?.buffer);
  });
});

describe('explicitPartitionFirst (the transactional producer partitioner)', () => {
  it("places messages as kafkajs' DefaultPartitioner does: explicit partition, else murmur2 of the key", () => {
    const partitionMetadata = [0, 1, 2, 3, 4].map(
      (partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1] }) as PartitionMetadata,
    );
    const ours = explicitPartitionFirst();
    const shipped = Partitioners.DefaultPartitioner();
    for (let i = 0; i < 200; i++) {
      const key = i % 3 === 0 ? `key-${i}` : Buffer.from(`k${i * 7919}`);
      const message = i % 4 === 0 ? { key, value: null, partition: i % 5 } : { key, value: null };
      expect(ours({ topic: 't', partitionMetadata, message })).toBe(
        shipped({ topic: 't', partitionMetadata, message }),
      );
    }
    const spread = new Set<number>();
    for (let i = 0; i < 10; i++) spread.add(ours({ topic: 't', partitionMetadata, message: { value: null } }));
    expect(spread.size).toBe(5);
  });
});

describe('detach', () => {
  it('keeps a record that owns small buffers as it is, and copies null-keyed records from large ones', () => {
    const own: KafkaMessage = { offset: '0', key: Buffer.from('k'), value: Buffer.from('v') } as KafkaMessage;
    expect(detach(own)).toBe(own);
    const big = Buffer.alloc(100_000, 0x62);
    const m = detach({ offset: '1', key: null, value: big.subarray(5, 8) } as KafkaMessage);
    expect(m.key).toBeNull();
    expect(m.value?.toString()).toBe('bbb');
    expect(m.value?.buffer).not.toBe(big.buffer);
  });
});

describe('retryKafka', () => {
  const failing = (errors: Error[]) => {
    let calls = 0;
    return {
      fn: () => {
        const err = errors[calls++];
        return err === undefined ? Promise.resolve(calls) : Promise.reject(err);
      },
      calls: () => calls,
    };
  };
  const waits: number[] = [];
  const sleep = (ms: number) => (waits.push(ms), Promise.resolve());

  it('calls again after retriable errors with the given delays, and not after others', async () => {
    const retriable = Object.assign(new Error('leader moved'), { retriable: true });
    waits.length = 0;
    const f = failing([retriable, retriable]);
    await expect(retryKafka(f.fn, { sleep })).resolves.toBe(3);
    expect(waits).toEqual([200, 400]);
    const fatal = failing([new Error('no')]);
    await expect(retryKafka(fatal.fn, { sleep })).rejects.toThrow('no');
    expect(fatal.calls()).toBe(1);
  });

  it('gives up after `attempts` calls and retries only what `when` accepts', async () => {
    const busy = Object.assign(new Error('busy'), { type: 'CONCURRENT_TRANSACTIONS' });
    expect(kafkaErrorType(busy)).toBe('CONCURRENT_TRANSACTIONS');
    const f = failing([busy, busy, busy, busy]);
    const when = (e: unknown) => kafkaErrorType(e) === 'CONCURRENT_TRANSACTIONS';
    await expect(retryKafka(f.fn, { attempts: 3, when, sleep })).rejects.toThrow('busy');
    expect(f.calls()).toBe(3);
  });
});
