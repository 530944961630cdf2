import { describe, expect, it } from 'vitest';
import { isoAt } from './iso-time.js';

describe('isoAt', () => {
  it('gives toISOString of each time asked, repeated or not', () => {
    for (const ms of [0, 0, 1, 1_764_770_000_123, 1_764_770_000_123, 1_764_770_000_124, -1, 8.64e15, 0])
      expect(isoAt(ms)).toBe(new Date(ms).toISOString());
  });

  it('formats times within and across days as toISOString does (the day reused, the time of day computed)', () => {
    const times: number[] = [];
    for (let ms = Date.parse('2026-12-31T22:00:00.000Z'); ms < Date.parse('2027-01-01T02:00:00Z'); ms += 997_331)
      times.push(ms);
    times.push(-1, -86_400_000, -86_400_001, 0.5, 1.5, -62_198_755_200_001, 253_402_300_800_000, 1_764_770_000_999);
    for (const ms of times) expect(isoAt(ms)).toBe(new Date(ms).toISOString());
  });

  it('throws like toISOString for an invalid time, then works again', () => {
    expect(() => isoAt(Number.NaN)).toThrow(RangeError);
    expect(() => isoAt(8.64e15 + 1)).toThrow(RangeError);
    expect(isoAt(5)).toBe('1970-01-01T00:00:00.005Z');
  });
});
