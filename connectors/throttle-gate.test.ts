import { describe, expect, it } from 'vitest';
import type { ActionCommand, Throttle } from '../schemas/index.js';
import { InMemoryMetrics } from '../topology/index.js';
import { pacedRate, ThrottleGate, type ThrottleVerdict } from './throttle-gate.js';
import { ManualTimer } from '../topology/index.js';
import { maxInWindow } from './testing/index.js';

const T0 = Date.UTC(2026, 0, 1);
/** What the gate sends 50/s at: 55 in any 1.2 s (see pacedRate); its bucket's burst is a quarter second of that. */
const PACED_50 = 55 / 1.2;

function cmds(n: number, createdAt = T0, deadlineMs = 24 * 3600_000, action = 'mail'): ActionCommand[] {
  return Array.from({ length: n }, (_, i) => ({
    commandId: `c${i}`,
    journeyId: 'j',
    journeyVersion: 1,
    instanceId: `i${i}`,
    nodeId: 'n',
    profileKey: `p${i}`,
    action,
    request: { url: 'http://127.0.0.1/x', method: 'POST', headers: {}, body: '{}' },
    createdAt: new Date(createdAt).toISOString(),
    deadline: new Date(createdAt + deadlineMs).toISOString(),
  }));
}

/** Admits every command in queue order; records when each verdict came. */
function run(gate: ThrottleGate, timer: ManualTimer, list: ActionCommand[], t: Throttle) {
  const out: Array<{ id: string; verdict: ThrottleVerdict; at: number }> = [];
  const all = Promise.all(
    list.map((c) => gate.admit(c, t).then((verdict) => out.push({ id: c.commandId, verdict, at: timer.now() }))),
  );
  return { out, all };
}

function maxPerSecond(times: number[]): number {
  const per = new Map<number, number>();
  for (const t of times) per.set(Math.floor(t / 1000), (per.get(Math.floor(t / 1000)) ?? 0) + 1);
  return Math.max(0, ...per.values());
}

function minGap(times: readonly number[]): number {
  let gap = Infinity;
  for (let i = 1; i < times.length; i++) gap = Math.min(gap, (times[i] ?? 0) - (times[i - 1] ?? 0));
  return gap;
}

/** A timer whose callbacks run only when `run` says (all overdue ones then), as after event-loop stalls. */
function handTimer(start: number) {
  let now = start;
  const due: Array<{ at: number; fn: () => void }> = [];
  const after = (ms: number, fn: () => void) => (due.push({ at: now + ms, fn }), () => {});
  const timer = {
    now: () => now,
    after,
    sleep: (ms: number) => new Promise<void>((resolve) => void after(ms, resolve)),
    yield: () => Promise.resolve(),
  };
  const flush = async () => {
    for (let i = 0; i < 50; i++) await Promise.resolve();
  };
  /** Moves time on by 1 ms steps until `done`; each timer fires `lateMs` after it was due. */
  const run = async (done: () => boolean, lateMs = 0) => {
    await flush();
    for (let guard = 0; !done() && guard < 1_000_000; guard++) {
      const ready = due.filter((d) => d.at + lateMs <= now);
      for (const d of ready) due.splice(due.indexOf(d), 1);
      ready.forEach((d) => d.fn());
      await flush();
      if (ready.length === 0) now += 1;
    }
  };
  return { timer, run, stall: (ms: number) => (now += ms), now: () => now };
}

describe('ThrottleGate: the throttle queue rules', () => {
  it('sends every command at the rate, in queue order, none capped while within maxDelay', async () => {
    const timer = new ManualTimer(T0);
    const gate = new ThrottleGate({ timer });
    const list = cmds(1_500);
    const { out, all } = run(gate, timer, list, { perSecond: 50, maxDelay: 'PT1M' });
    await timer.advance(33_000);
    await all;
    expect(out.filter((o) => o.verdict === 'send')).toHaveLength(1_500);
    expect(out.map((o) => o.id)).toEqual(list.map((c) => c.commandId));
    // the bucket lets a quarter second's burst go; pace() then spaces the calls (next tests)
    expect(maxPerSecond(out.map((o) => o.at))).toBeLessThanOrEqual(57);
    // 1,500 at 50/s, sent at 45.8/s: the last leaves after (1,500 − 11 of burst) / 45.8 = 32.5 s
    expect((out.at(-1)?.at ?? 0) - T0).toBeGreaterThanOrEqual(32_400);
    expect((out.at(-1)?.at ?? 0) - T0).toBeLessThanOrEqual(32_500);
  });

  it('caps at once only the commands that would wait longer than maxDelay (PT1M at 50/s: 2,761 of 5,000 sent)', async () => {
    const timer = new ManualTimer(T0);
    const gate = new ThrottleGate({ timer });
    const { out, all } = run(gate, timer, cmds(5_000), { perSecond: 50, maxDelay: 'PT1M' });
    await timer.advance(0);
    const cappedAtOnce = out.filter((o) => o.verdict === 'capped');
    // 11 of burst + 60 s × 45.8/s
    expect(cappedAtOnce).toHaveLength(5_000 - 2_761);
    expect(cappedAtOnce.every((o) => o.at === T0)).toBe(true);
    await timer.advance(61_000);
    await all;
    const sent = out.filter((o) => o.verdict === 'send');
    expect(sent).toHaveLength(2_761);
    expect(Math.max(...sent.map((o) => o.at)) - T0).toBeLessThanOrEqual(60_001); // the timer rounds up to the ms
    // the first 2,761 in queue order are the ones sent
    expect(new Set(sent.map((o) => o.id))).toEqual(new Set(cmds(2_761).map((c) => c.commandId)));
  });

  it('a restart in the middle: a new gate continues the queue with each command’s own age', async () => {
    const t: Throttle = { perSecond: 50, maxDelay: 'PT10S' };
    const list = cmds(1_000);
    const first = new ManualTimer(T0);
    const a = run(new ThrottleGate({ timer: first }), first, list, t);
    await first.advance(5_000); // 11 + 5 s × 45.8 = 240 sent, then SIGKILL: the rest never got a verdict from this gate
    const sentBefore = a.out.filter((o) => o.verdict === 'send').map((o) => o.id);
    const cappedBefore = a.out.filter((o) => o.verdict === 'capped').length;
    expect(sentBefore.length).toBeGreaterThanOrEqual(239);
    expect(sentBefore.length).toBeLessThanOrEqual(241);
    expect(cappedBefore).toBe(1_000 - 469); // capped at once (11 + 10 s × 45.8 fit): a capped result was committed

    // Back 3 s later: the queue consumer re-reads from the committed offset (the sent and capped ones are done)
    const answered = new Set([...sentBefore, ...a.out.filter((o) => o.verdict === 'capped').map((o) => o.id)]);
    const rest = list.filter((c) => !answered.has(c.commandId));
    const second = new ManualTimer(T0 + 8_000);
    const b = run(new ThrottleGate({ timer: second }), second, rest, t);
    await second.advance(3_000);
    await b.all;
    const sentAfter = b.out.filter((o) => o.verdict === 'send');
    // 2 s of maxDelay left for the oldest: a fresh burst (11) + 45.8/s × 2 s
    expect(sentAfter).toHaveLength(102);
    expect(Math.max(...sentAfter.map((o) => o.at)) - T0).toBeLessThanOrEqual(10_000);
    expect(new Set([...sentBefore, ...sentAfter.map((o) => o.id)]).size).toBe(sentBefore.length + 102);
    expect(maxPerSecond(sentAfter.map((o) => o.at))).toBeLessThanOrEqual(57);
  });

  it('a command an earlier incarnation already called is sent (at the rate), never capped', async () => {
    const timer = new ManualTimer(T0 + 3_600_000);
    const gate = new ThrottleGate({ timer });
    const [old] = cmds(1);
    const verdict = gate.admit(old as ActionCommand, { perSecond: 1, maxDelay: 'PT1M' }, true);
    await timer.advance(0);
    expect(await verdict).toBe('send');
    const [late] = cmds(1, T0, 24 * 3600_000, 'other');
    expect(await gate.admit(late as ActionCommand, { perSecond: 1, maxDelay: 'PT1M' })).toBe('capped');
  });

  it('counts the calls still waiting for their release: a command that would leave after maxDelay behind them is capped', async () => {
    const t: Throttle = { perSecond: 50, maxDelay: 'PT1M' };
    const [old] = cmds(1, T0 - 59_500); // 0.5 s of maxDelay left
    const idle = new ThrottleGate({ timer: new ManualTimer(T0) });
    expect(await idle.admit(old as ActionCommand, t)).toBe('send');
    const timer = new ManualTimer(T0);
    const busy = new ThrottleGate({ timer });
    // 40 admitted calls wait for their release (~0.9 s at 45.8/s) while the bucket has tokens again
    const paced = Array.from({ length: 40 }, () => busy.pace('mail', 50));
    expect(await busy.admit(old as ActionCommand, t)).toBe('capped');
    await timer.advance(2_000);
    await Promise.all(paced);
  });

  it('a deadline before maxDelay ends the wait: the command is capped, not sent after its deadline', async () => {
    const timer = new ManualTimer(T0);
    const gate = new ThrottleGate({ timer });
    const { out, all } = run(gate, timer, cmds(20, T0, 2_000), { perSecond: 5, maxDelay: 'PT1H' });
    await timer.advance(5_000);
    await all;
    // 1 of burst + 5/s × 2 s
    expect(out.filter((o) => o.verdict === 'send')).toHaveLength(11);
    expect(out.filter((o) => o.verdict === 'capped')).toHaveLength(9);
  });

  it('paces the calls themselves: at most perSecond in any sliding second, never bunched', async () => {
    const timer = new ManualTimer(T0);
    const gate = new ThrottleGate({ timer });
    const sent: number[] = [];
    // 120 calls released at once (as a slow attempt-log write would), then more 300 ms later
    const first = Array.from({ length: 120 }, () => gate.pace('mail', 50).then(() => sent.push(timer.now())));
    await timer.advance(300);
    const late = Array.from({ length: 10 }, () => gate.pace('mail', 50).then(() => sent.push(timer.now())));
    await timer.advance(5_000);
    await Promise.all([...first, ...late]);
    expect(sent).toHaveLength(130);
    expect(minGap(sent)).toBeGreaterThanOrEqual(21);
    expect(maxInWindow(sent, 1_000)).toBeLessThanOrEqual(50);
    expect(maxInWindow(sent, 1_200)).toBeLessThanOrEqual(55);
    expect(maxPerSecond(sent)).toBeLessThanOrEqual(50);
  });

  it('after a stall (timers firing late), the calls that were due do not leave at once', async () => {
    const h = handTimer(T0);
    const gate = new ThrottleGate({ timer: h.timer });
    const sent: number[] = [];
    const all = Array.from({ length: 20 }, () => gate.pace('mail', 50).then(() => sent.push(h.now())));
    await h.run(() => sent.length > 0);
    h.stall(300); // the loop was blocked for 300 ms: the next waiter's timer fires late
    await h.run(() => sent.length === 20);
    await Promise.all(all);
    expect(minGap(sent)).toBeGreaterThanOrEqual(10);
    expect(maxInWindow(sent, 1_000)).toBeLessThanOrEqual(50);
    expect(maxInWindow(sent, 1_200)).toBeLessThanOrEqual(55);
  });

  it('timers always late: the rate holds and no second sees more than perSecond', async () => {
    for (const lateMs of [3, 9, 35]) {
      const h = handTimer(T0);
      const gate = new ThrottleGate({ timer: h.timer });
      const sent: number[] = [];
      const all = Array.from({ length: 500 }, () => gate.pace('mail', 50).then(() => sent.push(h.now())));
      await h.run(() => sent.length === 500, lateMs);
      await Promise.all(all);
      expect(maxInWindow(sent, 1_000)).toBeLessThanOrEqual(50);
      expect(maxInWindow(sent, 1_200)).toBeLessThanOrEqual(55);
      expect(minGap(sent)).toBeGreaterThanOrEqual(10);
      const rate = (sent.length - 1) / (((sent.at(-1) ?? 0) - (sent[0] ?? 0)) / 1000);
      // a timer late by up to half an interval costs no rate; later ones cost up to their lateness per call (each
      // call waits on a late timer: the price of not letting overdue calls go in a bunch)
      if (lateMs <= 10) expect(rate, `late ${lateMs} ms`).toBeGreaterThan(PACED_50 * 0.99);
      else expect(rate, `late ${lateMs} ms`).toBeGreaterThan(1000 / (1000 / PACED_50 + lateMs + 1));
    }
  });

  it('the endpoint sees no more than the +10% ceiling in any of its seconds while transit times vary ≤ 200 ms', async () => {
    expect(pacedRate(50)).toBeCloseTo(PACED_50, 9);
    expect(pacedRate(2)).toBe(2); // 3 in 1.2 s does not bind: 2 in any second does
    // What the endpoint stamps: each call arrives after a transit time in [0, 200] ms (seeded), and a receiver
    // that is not scheduled for 200 ms every 1.7 s stamps what arrived meanwhile when it runs again.
    const arrivalsFor = async (transitAllowanceMs?: number) => {
      const timer = new ManualTimer(T0);
      const gate = new ThrottleGate({ timer, transitAllowanceMs });
      const sent: number[] = [];
      const all = Array.from({ length: 2_000 }, () => gate.pace('mail', 50).then(() => sent.push(timer.now())));
      await timer.advance(60_000);
      await Promise.all(all);
      let seed = 7;
      const transit = () => ((seed = (seed * 48_271) % 2_147_483_647) % 201) / 1;
      const stamped = (t: number) => (t % 1_700 < 200 ? t - (t % 1_700) + 200 : t);
      return {
        sent,
        jitter: sent.map((t) => t + transit()),
        stalls: sent.map((t) => stamped(t + 0.5)),
      };
    };
    const paced = await arrivalsFor();
    expect(paced.sent).toHaveLength(2_000);
    expect(maxInWindow(paced.jitter, 1_000)).toBeLessThanOrEqual(55);
    expect(maxInWindow(paced.stalls, 1_000)).toBeLessThanOrEqual(55);
    const rate = (paced.sent.length - 1) / (((paced.sent.at(-1) ?? 0) - (paced.sent[0] ?? 0)) / 1000);
    expect(rate).toBeGreaterThan(45); // within −10% of the rate
    // without the allowance (50 in any second of the sender's only) the same receiver counts more than 55
    const bare = await arrivalsFor(0);
    expect(maxInWindow(bare.stalls, 1_000)).toBeGreaterThan(55);
  });

  it('reports depth and age of the oldest queued command per action', async () => {
    const timer = new ManualTimer(T0 + 2_000);
    const metrics = new InMemoryMetrics();
    const gate = new ThrottleGate({ timer, metrics });
    gate.queue(cmds(100));
    gate.queue(cmds(100)); // read again after a rebalance: counted once
    expect(gate.snapshot()).toEqual({ mail: { depth: 100, ageSeconds: 2 } });
    const { all } = run(gate, timer, cmds(100), { perSecond: 50, maxDelay: 'PT1M' });
    await timer.advance(1_000);
    expect(gate.snapshot()['mail']?.depth).toBe(100 - 56); // 11 of burst + 45.8 in the first second
    await timer.advance(1_000);
    await all;
    expect(gate.snapshot()).toEqual({ mail: { depth: 0, ageSeconds: 0 } });
    expect(metrics.value('jo_action_queue_depth', { action: 'mail' })).toBe(0);
    gate.queue(cmds(3));
    gate.forget();
    expect(gate.snapshot()['mail']?.depth).toBe(0);
  });
});
