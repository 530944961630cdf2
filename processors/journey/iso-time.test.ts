import { describe, expect, it } from 'vitest';
import { isoAt } from './iso-time.js';

describe('isoAt', () => {
  it('gives toISOString of each time asked, repeated or not', () => {
    for (const ms of [0, 0, 1, 1_764_770_000_123, 1_764_770_000_123, 1_764_770_000_124, -1, 8.64e15, 0])
      expect(isoAt(ms)).toBe(new Date(ms).toISOString());
  });

  it('throws like toISOString for an invalid time, then works again', () => {
    expect(() => isoAt(Number.NaN)).toThrow(RangeError);
    expect(() => isoAt(8.64e15 + 1)).toThrow(RangeError);
    expect(isoAt(5)).toBe('1970-01-01T00:00:00.005Z');
  });
});
