// The per-node report's bounded history (issue 19): entries per UTC day of the entry step and each node's recent
// errors, on the real topology (TopologyTestDriver, ManualClock from 2026-01-01T00:00Z), as the API reads them
// from jo.reports (summed over partitions) and as a restarted task restores them.
import { describe, expect, it } from 'vitest';
import { mergeReportRows, RECENT_ERROR_MESSAGE_MAX, type ReportRow } from '../schemas/index.js';
import { closeDriversAfterEach, DAY, journey, JourneyDriver, MIN, welcomeDriver } from './testing/driver.js';

closeDriversAfterEach();
let d: JourneyDriver | undefined;

/** The latest jo.reports row per (partition, key), summed for one journey version: what the API answers. */
function reported(j: JourneyDriver, seen: Map<string, ReportRow>): ReportRow {
  for (const r of j.driver.readOutput<string, ReportRow>('jo.reports')) seen.set(`${r.partition}/${r.key}`, r.value);
  return mergeReportRows(
    'j',
    1,
    [...seen.values()].filter((r) => r.journeyId === 'j' && r.version === 1),
  );
}

async function storedRows(j: JourneyDriver): Promise<ReportRow[]> {
  const rows: ReportRow[] = [];
  for (let p = 0; p < 3; p++) {
    const row = await j.driver.getStore<ReportRow>('journey-report', p).get('j/1');
    if (row) rows.push(row);
  }
  return rows;
}

describe('report history', () => {
  it('counts entries per UTC day of the entry step and keeps the 7 most recent days', async () => {
    d = await welcomeDriver({}, false);
    await d.publish(journey({ a: { type: 'wait', duration: 'P30D', next: 'r' }, r: { type: 'end' } }));
    const seen = new Map<string, ReportRow>();
    await d.event('user.signup', 'p0');
    await d.advance(DAY - MIN); // 23:59 on the 1st
    await d.event('user.signup', 'p1');
    await d.advance(2 * MIN); // 00:01 on the 2nd
    await d.event('user.signup', 'p2');
    expect(reported(d, seen).entriesByDay).toEqual({ '2026-01-01': 2, '2026-01-02': 1 });

    for (let k = 3; k <= 9; k++) {
      await d.advance(DAY);
      await d.event('user.signup', `p${k}`);
    }
    const report = reported(d, seen);
    expect(report.entries).toBe(10);
    // the 1st and the 2nd fell out: 7 days of one entry each (the 3rd .. the 9th)
    expect(report.entriesByDay).toEqual(
      Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`2026-01-0${3 + i}`, 1])),
    );
    for (const row of await storedRows(d)) expect(Object.keys(row.entriesByDay ?? {}).length).toBeLessThanOrEqual(7);

    await d.driver.restart({ freshMetrics: true });
    await d.advance(DAY);
    await d.event('user.signup', 'p10');
    const after = reported(d, seen);
    expect(after.entries).toBe(11);
    expect(after.entriesByDay?.['2026-01-10']).toBe(1);
    expect(after.entriesByDay?.['2026-01-03']).toBeUndefined();
    expect(Object.keys(after.entriesByDay ?? {})).toHaveLength(7);
    expect(mergeReportRows('j', 1, await storedRows(d))).toEqual(after);
  });

  it("keeps each node's last 5 errors, newest first: code, the instance's error message and the step time", async () => {
    d = await welcomeDriver({}, false);
    await d.publish(journey({ a: { type: 'action', action: 'webhook', next: 'r', onError: 'r' }, r: { type: 'end' } }));
    const seen = new Map<string, ReportRow>();
    for (let i = 0; i < 7; i++) await d.event('user.signup', `p${i}`);
    const cmds = d.commands('http');
    expect(cmds).toHaveLength(7);
    const at: string[] = [];
    for (const [i, c] of cmds.entries()) {
      await d.advance(MIN);
      at.push(new Date(d.clock.now()).toISOString());
      if (i === 6) await d.result(c, 'timedout', { error: 'x'.repeat(400) });
      else await d.result(c, 'error', { httpStatus: 500, error: `HTTP 500 #${i}` });
    }
    const report = reported(d, seen);
    expect(report.nodes['a']).toMatchObject({ errors: 7, left: { actionError: 6, actionTimedout: 1 } });
    const recent = report.nodes['a']?.recentErrors ?? [];
    expect(recent.map((e) => [e.code, e.at])).toEqual([
      ['actionTimedout', at[6]],
      ['actionError', at[5]],
      ['actionError', at[4]],
      ['actionError', at[3]],
      ['actionError', at[2]],
    ]);
    expect(recent.slice(1).map((e) => e.message)).toEqual([5, 4, 3, 2].map((i) => `error: HTTP 500 #${i}`));
    // a long message is cut to the bound
    expect(recent[0]?.message).toHaveLength(RECENT_ERROR_MESSAGE_MAX);
    expect(recent[0]?.message).toMatch(/^timedout: x+…$/);
    expect(report.nodes['r']?.recentErrors ?? []).toEqual([]);

    // restored from jo.reports after a restart: the same errors, and a new one goes first
    await d.driver.restart({ freshMetrics: true });
    expect(mergeReportRows('j', 1, await storedRows(d))).toEqual(report);
    await d.event('user.signup', 'p7');
    const [c7] = d.commands('http');
    await d.advance(MIN);
    await d.result(c7!, 'error', { httpStatus: 503, error: 'HTTP 503 last' });
    const after = reported(d, seen).nodes['a']?.recentErrors ?? [];
    expect(after.map((e) => e.message)).toEqual([
      'error: HTTP 503 last',
      recent[0]?.message,
      'error: HTTP 500 #5',
      'error: HTTP 500 #4',
      'error: HTTP 500 #3',
    ]);
  });

  it('records why an instance ended on the step limit, with the limit in the message', async () => {
    d = await welcomeDriver({ limits: { maxStepsPerEvaluation: 2 } }, false);
    await d.publish(
      journey({
        a: { type: 'condition', paths: [{ when: { '==': [1, 2] }, next: 'c' }], otherwise: 'b' },
        b: { type: 'condition', paths: [{ when: { '==': [1, 2] }, next: 'c' }], otherwise: 'c' },
        c: { type: 'end' },
      }),
    );
    await d.advance(MIN);
    await d.event('user.signup', 'p0');
    const r = reported(d, new Map());
    expect(r.nodes['c']?.recentErrors).toEqual([
      {
        code: 'tooManySteps',
        message: 'tooManySteps: more than 2 steps for one input',
        at: '2026-01-01T00:01:00.000Z',
      },
    ]);
  });
});
