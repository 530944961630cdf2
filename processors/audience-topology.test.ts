// Audience entry through the real journey topology on the TopologyTestDriver (3 partitions): a `once` run enters
// exactly the matching profiles of every partition; a scan cut by a restart continues where the last commit left it
// (nobody twice, nobody skipped); a cron run repeats at each match; live events are processed between slices.
import { describe, expect, it } from 'vitest';
import { mergeReportRows, type JourneyConfig, type ReportRow, type StepRecord } from '../schemas/index.js';
import { closeDriversAfterEach, HOUR, JourneyDriver, welcomeDriver } from './testing/driver.js';

closeDriversAfterEach();
let d: JourneyDriver | undefined;

const gold: JourneyConfig = {
  id: 'gold',
  name: 'Gold members',
  namespace: 'email',
  entry: { audience: { '==': [{ var: 'profile.tier' }, 'gold'] }, schedule: 'once' },
  start: 'mail',
  nodes: {
    mail: { type: 'action', action: 'sendEmail', params: { to: { var: 'profile.email' } }, next: 'done' },
    done: { type: 'end' },
  },
};

async function members(dr: JourneyDriver, n: number): Promise<string[]> {
  const golds: string[] = [];
  for (let i = 0; i < n; i++) {
    const tier = i % 3 === 0 ? 'silver' : 'gold';
    await dr.profile(`m${i}`, { tier, email: `m${i}@example.com` });
    if (tier === 'gold') golds.push(`m${i}`);
  }
  return golds;
}

/** Ticks the audience punctuator `n` times, keeping every step and command written meanwhile. */
async function ticks(dr: JourneyDriver, n: number, seen: { trail: string[]; to: string[] }) {
  for (let i = 0; i < n; i++) {
    await dr.advance(100); // the audience punctuator period
    seen.trail.push(...dr.trail());
    seen.to.push(...dr.commands().map((c) => /m\d+@example\.com/.exec(c.request.body ?? '')?.[0] ?? 'none'));
  }
}

describe('audience entry through the topology', () => {
  it('a once run enters exactly the matching profiles of every partition, each once', async () => {
    d = await welcomeDriver({ partitions: 3 }, false);
    const golds = await members(d, 30);
    await d.publish(gold);
    const seen = { trail: [] as string[], to: [] as string[] };
    await ticks(d, 10, seen);
    const entered = seen.trail.filter((t) => t.endsWith(':mail:entered')).map((t) => t.split(':')[0]);
    expect(entered.sort()).toEqual([...golds].sort());
    expect(seen.to.sort()).toEqual(golds.map((g) => `${g}@example.com`).sort());
    expect(d.metric('jo_audience_profiles_scanned_total', { journey: 'gold' })).toBe(30 + 1); // the ann profile too
    expect(d.metric('jo_audience_runs_total', { journey: 'gold' })).toBe(3); // one per partition
    await ticks(d, 5, seen); // a once run does not repeat
    expect(seen.trail.filter((t) => t.endsWith(':mail:entered'))).toHaveLength(golds.length);
  });

  it('a slice enters its profiles in bulk: one step record per instance, one command each, exact report counts', async () => {
    d = await welcomeDriver({ partitions: 2 }, false);
    const golds = await members(d, 60);
    await d.publish(gold);
    const records: StepRecord[] = [];
    let commands = 0;
    for (let i = 0; i < 5; i++) {
      await d.advance(100);
      records.push(...d.stepRecords());
      commands += d.commands().length;
    }
    expect(records.map((r) => r.profileKey.replace(/^email:/, '')).sort()).toEqual([...golds].sort());
    expect(new Set(records.map((r) => r.instanceId)).size).toBe(golds.length);
    for (const r of records) {
      expect(r.cause).toEqual({ type: 'control', id: expect.stringMatching(/^audience\/gold@1\//) as unknown });
      expect(r.steps.map((s) => `${s.nodeId}:${s.status}`)).toEqual(['mail:entered', 'done:ended']);
    }
    expect(commands).toBe(golds.length);
    const rows: ReportRow[] = [];
    for (let p = 0; p < 2; p++) {
      const row = await d.driver.getStore<ReportRow>('journey-report', p).get('gold/1');
      if (row) rows.push(row);
    }
    expect(mergeReportRows('gold', 1, rows)).toMatchObject({
      entries: golds.length,
      exits: { end: golds.length },
      nodes: { mail: { entered: golds.length, left: { continued: golds.length } } },
    });
  });

  it('a scan cut by a restart goes on from the last committed position: nobody twice, nobody skipped', async () => {
    d = await JourneyDriver.create({ partitions: 3, limits: { audienceSliceSize: 3 } });
    await d.resources({
      kind: 'action',
      value: (await import('./testing/journeys.js')).emailAction('http://127.0.0.1:9/ts'),
    });
    const golds = await members(d, 40);
    await d.publish(gold);
    const seen = { trail: [] as string[], to: [] as string[] };
    await ticks(d, 2, seen); // 2 slices of 3 per partition: at most 18 looked at
    const early = seen.trail.filter((t) => t.endsWith(':mail:entered')).length;
    expect(early).toBeGreaterThan(0);
    expect(early).toBeLessThan(golds.length);
    await d.driver.restart();
    await ticks(d, 20, seen);
    const entered = seen.trail.filter((t) => t.endsWith(':mail:entered')).map((t) => t.split(':')[0]);
    expect(entered.sort()).toEqual([...golds].sort());
    expect(new Set(seen.to).size).toBe(golds.length);
    expect(seen.to).toHaveLength(golds.length);
  });

  it('live events are processed between the slices of a scan', async () => {
    d = await welcomeDriver({ partitions: 1, limits: { audienceSliceSize: 2 } }, true);
    const golds = await members(d, 12);
    await d.publish(gold);
    const seen = { trail: [] as string[], to: [] as string[] };
    await ticks(d, 3, seen); // 6 of 13 profiles looked at
    await d.event('user.signup', 'ann'); // the welcome journey's first email goes out mid-scan
    seen.trail.push(...d.trail());
    const welcomeAt = seen.trail.findIndex((t) => t.startsWith('ann:'));
    await ticks(d, 10, seen);
    const entered = seen.trail.filter((t) => t.endsWith(':mail:entered'));
    expect(entered).toHaveLength(golds.length);
    expect(welcomeAt).toBeGreaterThan(0);
    expect(welcomeAt).toBeLessThan(seen.trail.indexOf(entered.at(-1) ?? ''));
  });

  it('a cron audience runs at each match in the journey time zone; re-entrance rules apply', async () => {
    d = await welcomeDriver({ partitions: 3 }, false);
    await members(d, 6); // 4 gold
    const t0 = d.clock.now();
    await d.publish({
      ...gold,
      timezone: 'Europe/Paris',
      entry: { audience: gold.entry.audience, schedule: '0 9 * * *' },
      reentrance: { allowed: true, waitPeriod: 'PT1H' },
    });
    const seen = { trail: [] as string[], to: [] as string[] };
    const runs = async () => {
      await ticks(d as JourneyDriver, 3, seen);
      return seen.trail.filter((t) => t.endsWith(':mail:entered')).length;
    };
    expect(await runs()).toBe(0); // not 09:00 in Paris yet
    // the driver's clock starts at 2026-01-01 00:00 UTC (01:00 in Paris): the next 09:00 in Paris is 08:00 UTC
    expect(new Date(t0).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    const next9 = Date.UTC(2026, 0, 1, 8, 0);
    await d.advance(next9 - d.clock.now() - 60_000);
    expect(await runs()).toBe(0);
    await d.advance(60_000);
    expect(await runs()).toBe(4);
    await d.advance(24 * HOUR);
    expect(await runs()).toBe(8);
  });
});

describe('audience catch-up', () => {
  it('after downtime that missed several matches, only the latest runs', async () => {
    d = await welcomeDriver({ partitions: 1 }, false);
    await members(d, 3); // m1, m2 gold
    await d.publish({
      ...gold,
      entry: { audience: gold.entry.audience, schedule: '0 * * * *' },
      reentrance: { allowed: true, waitPeriod: 'PT1M' },
    });
    const seen = { trail: [] as string[], to: [] as string[] };
    await d.advance(5 * HOUR + 60_000); // 5 hourly matches passed without a punctuation
    await ticks(d, 3, seen);
    expect(seen.trail.filter((t) => t.endsWith(':mail:entered'))).toHaveLength(2);
    expect(d.metric('jo_audience_runs_total', { journey: 'gold' })).toBe(1);
  });
});
