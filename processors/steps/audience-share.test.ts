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
  it('grows while the event loop has time to spare, never past the maximum', () => {
    const s = new ScanShare(limits, () => 0.6);
    const grants = [0, 100, 200, 300, 400, 500, 600].map((t) => window(s, t));
    expect(grants).toEqual([10, 15, 22.5, 33.75, 50, 50, 50]);
    expect(s.left(650)).toBe(0); // the window's slice is spent
  });

  it('halves when the loop had no time to spare (a backlog of live records), down to the minimum; holds between', () => {
    let idle = 0.6;
    const s = new ScanShare(limits, () => idle);
    let t = 0;
    for (let i = 0; i < 6; i++) window(s, (t += 100));
    expect(s.sliceMs).toBe(50);
    idle = 0.02;
    expect(window(s, (t += 100))).toBe(25);
    expect(window(s, (t += 100))).toBe(12.5);
    expect(window(s, (t += 100))).toBe(10);
    idle = 0.15;
    expect(window(s, (t += 100))).toBe(10);
    idle = 0.2;
    expect(window(s, (t += 100))).toBe(15);
  });

  it('without an idle signal, or after a long pause, keeps to the minimum', () => {
    const fixed = new ScanShare(limits);
    expect([0, 100, 200, 300].map((t) => window(fixed, t))).toEqual([10, 10, 10, 10]);
    const s = new ScanShare(limits, () => 0.9);
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
