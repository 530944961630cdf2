import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from './murmur2.js';

describe('murmur2', () => {
  // Vectors from Kafka's UtilsTest.testMurmur2.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %s like the Java client', (s, expected) => {
    expect(murmur2(Buffer.from(s))).toBe(expected);
  });

  it('maps keys to partitions in range', () => {
    for (let i = 0; i < 100; i++) {
      const p = partitionForKey(Buffer.from(`k${i}`), 6);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(6);
    }
  });
});
