import { describe, expect, it } from 'vitest';
import { addRecentError, countEntryDay, emptyNodeCounts, emptyReportRow, mergeReportRows } from './reports.js';

const at = (min: number) => new Date(Date.UTC(2026, 0, 1, 0, min)).toISOString();

describe('mergeReportRows (per-partition rows of jo.reports → one answer)', () => {
  it("keeps the newest 5 errors of a node across partitions, newest first, and sums each day's entries", () => {
    const rows = [0, 1].map((p) => {
      const row = emptyReportRow('j', 1);
      const node = (row.nodes['a'] = emptyNodeCounts());
      // partition 0 errs at minutes 0, 2, 4, 6; partition 1 at 1, 3, 5, 7
      for (let m = p; m < 8; m += 2) addRecentError(node, { code: `e${m}`, message: `m${m}`, at: at(m) });
      return row;
    });
    // each partition keeps its own last 5 (here: all 4)
    expect(rows[0]?.nodes['a']?.recentErrors?.map((e) => e.code)).toEqual(['e6', 'e4', 'e2', 'e0']);
    for (const [p, days] of [
      [0, ['2026-01-01', '2026-01-02', '2026-01-02']],
      [1, ['2026-01-02', '2026-01-03']],
    ] as const)
      for (const d of days) countEntryDay(rows[p]!, `${d}T10:00:00.000Z`);
    const merged = mergeReportRows('j', 1, rows);
    expect(merged.nodes['a']?.recentErrors?.map((e) => e.code)).toEqual(['e7', 'e6', 'e5', 'e4', 'e3']);
    expect(merged.entriesByDay).toEqual({ '2026-01-01': 1, '2026-01-02': 3, '2026-01-03': 1 });
  });

  it('drops a day everywhere once 7 newer days exist in any partition, so kept days are exact sums', () => {
    const a = emptyReportRow('j', 1);
    const b = emptyReportRow('j', 1);
    countEntryDay(a, '2026-01-01T00:00:00.000Z');
    for (let d = 2; d <= 8; d++) countEntryDay(b, `2026-01-0${d}T00:00:00.000Z`);
    countEntryDay(b, '2026-01-01T23:00:00.000Z'); // older than b's 7 days: not kept
    expect(Object.keys(b.entriesByDay ?? {})).toHaveLength(7);
    const merged = mergeReportRows('j', 1, [a, b]);
    expect(Object.keys(merged.entriesByDay ?? {})).toEqual([2, 3, 4, 5, 6, 7, 8].map((d) => `2026-01-0${d}`));
    // rows written before the fields existed merge as before
    expect(mergeReportRows('j', 1, [emptyReportRow('j', 1)])).toEqual(emptyReportRow('j', 1));
  });
});
