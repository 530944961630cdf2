import { describe, expect, it } from 'vitest';
import { ReadCommittedFilter, type Batch, type KafkaMessage } from './kafka-client.js';

/** A fetched batch as kafkajs builds it: raw records including control markers, with their batch context. */
function batch(
  fetchedOffset: number,
  raw: Array<[offset: number, pid: string, kind: 'data' | 'txn' | 'commit' | 'abort']>,
): Batch {
  const rawMessages = raw.map(([offset, producerId, kind]) => ({
    offset: String(offset),
    key:
      kind === 'commit'
        ? Buffer.from([0, 0, 0, 1])
        : kind === 'abort'
          ? Buffer.from([0, 0, 0, 0])
          : Buffer.from(`k${offset}`),
    value: Buffer.from(`v${offset}`),
    timestamp: '0',
    attributes: 0,
    headers: {},
    isControlRecord: kind === 'commit' || kind === 'abort',
    batchContext: { producerId, inTransaction: kind !== 'data' },
  }));
  return {
    topic: 't',
    partition: 0,
    highWatermark: '100',
    rawMessages,
    fetchedOffset: String(fetchedOffset),
    messages: [],
  } as unknown as Batch;
}

const offsets = (ms: KafkaMessage[]) => ms.map((m) => Number(m.offset));

describe('ReadCommittedFilter', () => {
  it('drops aborted transactions aborted out of order and keeps offset order', () => {
    const f = new ReadCommittedFilter();
    // p1 and p2 interleave; p2 is aborted before p1; p3 commits.
    const out = f.accept(
      batch(0, [
        [0, 'p1', 'txn'],
        [1, 'p2', 'txn'],
        [2, 'p3', 'txn'],
        [3, 'p1', 'txn'],
        [4, 'p2', 'abort'],
        [5, 'p1', 'abort'],
        [6, 'p3', 'commit'],
        [7, '-1', 'data'],
      ]),
    );
    expect(offsets(out)).toEqual([2, 7]);
  });

  it('holds records of an undecided transaction (and later ones) until its marker arrives in a later batch', () => {
    const f = new ReadCommittedFilter();
    expect(
      offsets(
        f.accept(
          batch(0, [
            [0, 'p1', 'txn'],
            [1, '-1', 'data'],
          ]),
        ),
      ),
    ).toEqual([]);
    expect(offsets(f.accept(batch(2, [[2, 'p1', 'commit']])))).toEqual([0, 1]);
  });

  it('reports the first held record until its marker arrives', () => {
    const f = new ReadCommittedFilter();
    f.accept(
      batch(0, [
        [0, '-1', 'data'],
        [1, 'p1', 'txn'],
        [2, '-1', 'data'],
      ]),
    );
    expect(f.firstUndecided('t', 0)).toBe('1');
    f.accept(batch(3, [[3, 'p1', 'abort']]));
    expect(f.firstUndecided('t', 0)).toBeUndefined();
  });

  it('ignores re-delivered offsets, and starts afresh after reset', () => {
    const f = new ReadCommittedFilter();
    expect(
      offsets(
        f.accept(
          batch(0, [
            [0, '-1', 'data'],
            [1, '-1', 'data'],
          ]),
        ),
      ),
    ).toEqual([0, 1]);
    expect(
      offsets(
        f.accept(
          batch(0, [
            [0, '-1', 'data'],
            [1, '-1', 'data'],
          ]),
        ),
      ),
    ).toEqual([]);
    f.reset('t', 0);
    expect(
      offsets(
        f.accept(
          batch(1, [
            [0, '-1', 'data'],
            [1, '-1', 'data'],
          ]),
        ),
      ),
    ).toEqual([1]);
  });
});
