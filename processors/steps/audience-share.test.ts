import { describe, expect, it } from 'vitest';
import { ScanShare } from './audience-share.js';

const limits = { intervalMs: 100, minMs: 10, maxMs: 50 };

/** Starts a window at `at`, spends what it grants, returns the grant. */
function window(s: ScanShare, at: number): number {
  const left = s.left(at);
  s.spend(left);
  return left;
}

describe('ScanShare: the audience scans’ slice of the thread', () => {
  it('starts at the minimum, grows while windows begin on time, never past the maximum', () => {
    const s = new ScanShare(limits);
    const grants = [0, 100, 200, 300, 400, 500, 600].map((t) => window(s, t));
    expect(grants).toEqual([10, 15, 22.5, 33.75, 50, 50, 50]);
    expect(s.left(650)).toBe(0); // the window's slice is spent
  });

  it('halves when a window begins late (live records or commits held the thread), down to the minimum', () => {
    const s = new ScanShare(limits);
    let t = 0;
    for (let i = 0; i < 6; i++) window(s, (t += 100));
    expect(s.sliceMs).toBe(50);
    expect(window(s, (t += 180))).toBe(25);
    expect(window(s, (t += 180))).toBe(12.5);
    expect(window(s, (t += 180))).toBe(10);
    expect(window(s, (t += 120))).toBe(15); // on time again (20 ms late is within a quarter interval)
  });

  it('after a long pause with nothing to scan, starts again from the minimum', () => {
    const s = new ScanShare(limits);
    let t = 0;
    for (let i = 0; i < 6; i++) window(s, (t += 100));
    expect(window(s, t + 60_000)).toBe(10);
  });

  it('shares one window between the tasks of a process', () => {
    const s = new ScanShare(limits);
    expect(s.left(0)).toBe(10);
    s.spend(6);
    expect(s.left(30)).toBe(4);
    s.spend(4);
    expect(s.left(60)).toBe(0);
  });
});
