// One timer per instance (issue 14): the timer index (changelog jo.timers) holds only the earlier of an instance's
// deadlines — its blocked node's and the journey timeout — and re-arms the next one when that fires or the instance
// moves on. Through the real journey topology on the TopologyTestDriver (ManualClock), across a restart.
import { describe, expect, it } from 'vitest';
import type { JourneyConfig } from '../schemas/index.js';
import { closeDriversAfterEach, DAY, HOUR, journey, MIN, welcomeDriver, type JourneyDriver } from './testing/driver.js';

closeDriversAfterEach();

async function withJourney(cfg: JourneyConfig): Promise<JourneyDriver> {
  const j = await welcomeDriver({}, false);
  await j.publish(cfg);
  return j;
}

/** The jo.timers records written since the last call, as `set:<kind>` and `delete:<kind>` (tombstones). */
function timerLog(j: JourneyDriver): () => string[] {
  const kindOfKey = new Map<string, string>();
  return () =>
    j.driver.readOutput<string, { kind: string; dueAt: number } | null>('jo.timers').map((r) => {
      if (r.value === null) return `delete:${kindOfKey.get(r.key) ?? '?'}`;
      kindOfKey.set(r.key, r.value.kind);
      return `set:${r.value.kind}`;
    });
}

const pending = (j: JourneyDriver) =>
  [0, 1, 2].reduce((n, partition) => n + j.metric('jo_timers_pending', { partition }), 0);

describe('one timer per instance', () => {
  it('a wait that ends before the journey timeout writes one timer record and its tombstone', async () => {
    const j = await withJourney(
      journey({ a: { type: 'wait', duration: 'PT1H', next: 'b' }, b: { type: 'end' } }, { timeout: 'P1D' }),
    );
    const timers = timerLog(j);
    await j.event('user.signup', 'x');
    expect(timers()).toEqual(['set:wait']);
    expect(pending(j)).toBe(1);
    await j.advance(HOUR);
    expect(j.trail()).toEqual(['x:a:entered', 'x:b:ended:end']);
    expect(timers()).toEqual(['delete:wait']);
    expect(pending(j)).toBe(0);
  });

  it('a wait due after the journey timeout: only the timeout is armed, and it ends the instance', async () => {
    const j = await withJourney(
      journey(
        {
          a: { type: 'wait', duration: 'PT20H', next: 'b' },
          b: { type: 'wait', duration: 'PT20H', next: 'c' },
          c: { type: 'end' },
        },
        { timeout: 'P1D' },
      ),
    );
    const timers = timerLog(j);
    await j.event('user.signup', 'x');
    expect(timers()).toEqual(['set:wait']);
    await j.advance(20 * HOUR); // b's wait would end at 40 h: the journey timeout (24 h) comes first
    expect(j.trail()).toEqual(['x:a:entered', 'x:b:transitioned']);
    expect(timers()).toEqual(['delete:wait', 'set:journeyTimeout']);
    await j.advance(4 * HOUR);
    expect(j.trail()).toEqual(['x:b:timedout:journeyTimeout']);
    expect(timers()).toEqual(['delete:journeyTimeout']);
    await j.advance(DAY);
    expect(j.trail()).toEqual([]);
    expect(pending(j)).toBe(0);
  });

  it('re-arms the journey timeout when the wait fires, and it still ends the instance on time (across a restart)', async () => {
    const j = await withJourney(
      journey(
        {
          a: { type: 'wait', duration: 'PT1H', next: 'e' },
          e: { type: 'event', events: [{ event: 'purchase', next: 'b' }] },
          b: { type: 'end' },
        },
        { timeout: 'P1D' },
      ),
    );
    const timers = timerLog(j);
    await j.event('user.signup', 'x');
    expect(timers()).toEqual(['set:wait']);
    await j.advance(HOUR);
    expect(j.trail()).toEqual(['x:a:entered', 'x:e:transitioned']);
    expect(timers()).toEqual(['delete:wait', 'set:journeyTimeout']);
    // the index is restored from its changelog: the re-armed timeout is still there
    await j.driver.restart();
    expect(pending(j)).toBe(1);
    await j.advance(DAY - HOUR - MIN);
    expect(j.trail()).toEqual([]);
    await j.advance(MIN);
    expect(j.trail()).toEqual(['x:e:timedout:journeyTimeout']);
    expect(timers()).toEqual(['delete:journeyTimeout']);
  });

  it('an event that ends an event node early swaps its timeout for the journey timeout; none is left at the end', async () => {
    const j = await withJourney(
      journey(
        {
          a: { type: 'event', events: [{ event: 'purchase', next: 'e' }], timeout: 'PT1H', onTimeout: 'b' },
          e: { type: 'event', events: [{ event: 'purchase', next: 'b' }] },
          b: { type: 'end' },
        },
        { timeout: 'P1D' },
      ),
    );
    const timers = timerLog(j);
    await j.event('user.signup', 'x');
    await j.event('user.signup', 'y');
    expect(timers()).toEqual(['set:eventTimeout', 'set:eventTimeout']);
    await j.event('commerce.purchase', 'x');
    expect(timers()).toEqual(['delete:eventTimeout', 'set:journeyTimeout']);
    await j.advance(HOUR); // y's event timeout: on to `b`, the end
    expect(j.trail()).toEqual([
      'x:a:entered',
      'y:a:entered',
      'x:e:transitioned',
      'y:a:timedout:eventTimeout',
      'y:b:ended:end',
    ]);
    expect(timers()).toEqual(['delete:eventTimeout']);
    await j.event('commerce.purchase', 'x'); // x ends: its journey timeout goes
    expect(j.trail()).toEqual(['x:b:ended:end']);
    expect(timers()).toEqual(['delete:journeyTimeout']);
    expect(pending(j)).toBe(0);
  });
});
