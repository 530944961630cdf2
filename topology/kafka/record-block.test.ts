import { describe, expect, it } from 'vitest';
import { toRecordBlock, toRecordBlocks } from './record-block.js';
import type { FetchedMessage } from './port-client.js';

const msg = (offset: string, key: string | null, value: string | null, headers?: FetchedMessage['headers']) => ({
  offset,
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp: String(1_700_000_000_000 + Number(offset.slice(-3))),
  ...(headers ? { headers } : {}),
});

const all = (b: ReturnType<typeof toRecordBlock>) => Array.from({ length: b.length }, (_, i) => b.record(i));

describe('RecordBlock', () => {
  it('hands out the fetched records as they were: offsets, keys, values (null too), timestamps, headers', () => {
    const fetched = [
      msg('7', 'k7', 'v7'),
      msg('8', null, 'value-8', { a: Buffer.from('1'), b: [Buffer.from('x'), Buffer.from('y')] }),
      msg('9', 'k9', null),
      msg('10', '', ''),
    ];
    const block = toRecordBlock('t', 2, fetched);
    fetched.forEach((m) => {
      m.key?.fill(0x7a);
      m.value?.fill(0x7a);
    });
    expect(
      all(block).map((r) => [r.topic, r.partition, r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null]),
    ).toEqual([
      ['t', 2, '7', 'k7', 'v7'],
      ['t', 2, '8', null, 'value-8'],
      ['t', 2, '9', 'k9', null],
      ['t', 2, '10', '', ''],
    ]);
    expect(all(block).map((r) => r.timestamp)).toEqual([
      1_700_000_000_007, 1_700_000_000_008, 1_700_000_000_009, 1_700_000_000_010,
    ]);
    expect(all(block).map((r) => r.headers)).toEqual([{}, { a: '1', b: 'y' }, {}, {}]);
    expect([0, 1, 2, 3].map((i) => block.bytesOf(i))).toEqual([4, 7, 2, 0]);
    expect(block.offset(3)).toBe('10');
  });

  it('keeps offsets beyond 2^53 exact (as strings)', () => {
    const big = ['9007199254740993', '9007199254740994'];
    const block = toRecordBlock('t', 0, [msg('9007199254740992', 'a', 'b'), ...big.map((o) => msg(o, 'k', 'v'))]);
    expect(all(block).map((r) => r.offset)).toEqual(['9007199254740992', ...big]);
  });

  it('copies keys and values into one buffer of its own', () => {
    const response = Buffer.alloc(1 << 16, 0x61);
    const fetched = [0, 1, 2].map((i) => ({
      ...msg(String(i), null, null),
      key: response.subarray(i * 10, i * 10 + 2),
      value: response.subarray(100 + i * 10, 100 + i * 10 + 3),
    }));
    const records = all(toRecordBlock('t', 0, fetched));
    response.fill(0x7a);
    expect(records.map((r) => `${r.key?.toString()}:${r.value?.toString()}`)).toEqual(['aa:aaa', 'aa:aaa', 'aa:aaa']);
    expect(new Set(records.flatMap((r) => [r.key?.buffer, r.value?.buffer])).size).toBe(1);
    expect(records[0]?.key?.buffer).not.toBe(response.buffer);
  });

  it('packs a large batch as consecutive blocks of at most the byte bound (one record at least)', () => {
    const fetched = Array.from({ length: 10 }, (_, i) => msg(String(i), 'k', i === 7 ? 'v'.repeat(50) : 'vvvv'));
    const blocks = toRecordBlocks('t', 1, fetched, 12);
    expect(blocks.map((b) => b.length)).toEqual([2, 2, 2, 1, 1, 2]);
    expect(blocks.flatMap(all).map((r) => `${r.offset}:${r.value?.length}`)).toEqual(
      fetched.map((m) => `${m.offset}:${m.value?.length}`),
    );
    expect(new Set(blocks.map((b) => b.record(0).value?.buffer)).size).toBe(blocks.length);
    expect(toRecordBlocks('t', 1, [])).toEqual([]);
  });
});
