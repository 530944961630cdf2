import { describe, expect, it } from 'vitest';
import { ReadCommittedFilter } from './kafka-client.js';
import { compareOffsets, nextOffset } from './offsets.js';
import { fetchedBatch, offsetsOf, type RawKind as Kind, type RawRecord as Raw } from '../testing/fetched-batch.js';

const batch = fetchedBatch;

/** What read_committed must deliver: data records, and transactional ones whose producer's next marker commits. */
function expected(log: readonly Raw[]): number[] {
  const out: number[] = [];
  const next = new Map<string, Kind>(); // per producer, the kind of its next marker (walking backwards)
  for (let i = log.length - 1; i >= 0; i--) {
    const [offset, pid, kind] = log[i] as Raw;
    if (kind === 'commit' || kind === 'abort') next.set(pid, kind);
    else if (kind === 'data' || next.get(pid) === 'commit') out.push(offset);
  }
  return out.reverse();
}

/** A seeded partition log: plain records and transactions of 3 producers, interleaved, committed or aborted. */
function randomLog(n: number, seed: number): Raw[] {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const open = new Set<string>();
  const log: Raw[] = [];
  for (let offset = 0; offset < n; offset++) {
    const pid = `p${Math.floor(rnd() * 3)}`;
    const r = rnd();
    if (r < 0.3) log.push([offset, '-1', 'data']);
    else if (open.has(pid) && r < 0.36) {
      log.push([offset, pid, rnd() < 0.7 ? 'commit' : 'abort']);
      open.delete(pid);
    } else {
      open.add(pid);
      log.push([offset, pid, 'txn']);
    }
  }
  for (const pid of open) log.push([log.length, pid, 'commit']);
  return log;
}

const offsets = offsetsOf;

describe('ReadCommittedFilter over large and split fetches', () => {
  it('delivers exactly the committed records in offset order, however the log is cut into fetches', () => {
    for (const seed of [1, 7, 42]) {
      const log = randomLog(20_000, seed);
      const f = new ReadCommittedFilter();
      const got: number[] = [];
      let at = 0;
      let cut = 1;
      while (at < log.length) {
        const size = (cut = (cut * 7 + 3) % 9_000) + 1; // 1 .. 9,000 records per fetch
        // a fetch can start before the offset asked for (re-delivered records): those must be skipped
        const from = Math.max(0, at - (size % 5));
        got.push(...offsets(f.accept(batch(at, log.slice(from, at + size)))));
        at += size;
      }
      expect(got).toEqual(expected(log));
      expect(f.firstUndecided('t', 0)).toBeUndefined();
    }
  });

  it('lets plain records after a decided transaction through in the same fetch, and holds them behind an open one', () => {
    const f = new ReadCommittedFilter();
    const first = f.accept(batch(0, '0:p1:txn 1:p1:commit 2:data 3:p2:txn 4:data'));
    expect(offsets(first)).toEqual([0, 2]);
    expect(f.firstUndecided('t', 0)).toBe('3');
    expect(offsets(f.accept(batch(5, '5:p2:abort')))).toEqual([4]);
  });
});

describe('compareOffsets', () => {
  it('orders decimal offsets exactly, beyond 2^53 and against the -1 sentinel', () => {
    expect(compareOffsets('9', '10')).toBeLessThan(0);
    expect(compareOffsets('10', '9')).toBeGreaterThan(0);
    expect(compareOffsets('123', '123')).toBe(0);
    expect(compareOffsets('9007199254740993', '9007199254740992')).toBeGreaterThan(0);
    expect(compareOffsets('-1', '0')).toBeLessThan(0);
    expect(compareOffsets('0', '-1')).toBeGreaterThan(0);
    expect(nextOffset('9007199254740992')).toBe('9007199254740993');
  });
});
