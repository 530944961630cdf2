// The exact per-node report (issue 16 point 4) on the real topology (TopologyTestDriver, ManualClock): the rows in
// jo.reports, summed over partitions, equal what a reader of jo.step-events counts, and survive a restart.
import { describe, expect, it } from 'vitest';
import { mergeReportRows, type ReportRow, type StepRecord } from '../schemas/index.js';
import { closeDriversAfterEach, DAY, HOUR, journey, JourneyDriver, welcomeDriver } from './testing/driver.js';
import { webhookAction } from './testing/journeys.js';

closeDriversAfterEach();
let d: JourneyDriver | undefined;

/** What a consumer of jo.step-events counts, tracking only each instance's last node. */
class StepCounter {
  entries = 0;
  goals = 0;
  readonly exits: Record<string, number> = {};
  readonly entered: Record<string, number> = {};
  readonly errors: Record<string, number> = {};
  readonly discarded: Record<string, number> = {};
  private readonly last = new Map<string, string | null>();

  add(records: readonly StepRecord[]): void {
    const inc = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
    for (const r of records)
      r.steps.forEach((s, i) => {
        if (s.nodeId === '$entry') return;
        if (s.status === 'entered') this.entries += 1;
        if (s.status === 'entered' || s.status === 'transitioned' || s.nodeType === 'end') {
          inc(this.entered, s.nodeId);
          this.last.set(r.instanceId, s.nodeId);
        }
        if (s.status === 'goal') this.goals += 1;
        if (s.status === 'error') inc(this.errors, s.nodeId);
        if (s.status === 'discarded') inc(this.discarded, s.nodeId);
        if (i === r.steps.length - 1 && ['ended', 'error', 'timedout'].includes(s.status)) {
          inc(this.exits, s.reason ?? s.status);
          this.last.set(r.instanceId, null);
        }
      });
  }

  waiting(): Record<string, number> {
    const w: Record<string, number> = {};
    for (const n of this.last.values()) if (n !== null) w[n] = (w[n] ?? 0) + 1;
    return w;
  }
}

/** The latest `jo.reports` row per (partition, key) — what the API's reader keeps. */
class ReportsTopic {
  private readonly rows = new Map<string, ReportRow>();

  read(j: JourneyDriver): void {
    for (const r of j.driver.readOutput<string, ReportRow>('jo.reports'))
      this.rows.set(`${r.partition}/${r.key}`, r.value);
  }

  merged(journeyId: string, version: number): ReportRow {
    const mine = [...this.rows.values()].filter((r) => r.journeyId === journeyId && r.version === version);
    return mergeReportRows(journeyId, version, mine);
  }
}

const nonZero = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([, n]) => n !== 0));
const field = (r: ReportRow, f: 'entered' | 'waiting' | 'errors' | 'discarded') =>
  nonZero(Object.fromEntries(Object.entries(r.nodes).map(([id, n]) => [id, n[f]])));

function expectSameCounts(report: ReportRow, c: StepCounter): void {
  expect(report.entries).toBe(c.entries);
  expect(report.goals).toBe(c.goals);
  expect(report.exits).toEqual(c.exits);
  expect(field(report, 'entered')).toEqual(c.entered);
  expect(field(report, 'waiting')).toEqual(c.waiting());
  expect(field(report, 'errors')).toEqual(c.errors);
  expect(field(report, 'discarded')).toEqual(c.discarded);
  // every arrival either stands at the node or left it by one outcome
  for (const [id, n] of Object.entries(report.nodes))
    expect(
      Object.values(n.left).reduce((a, b) => a + b, 0),
      id,
    ).toBe(n.entered - n.waiting);
}

const config = journey(
  {
    a: { type: 'action', action: 'webhook', next: 'w', onError: 'w' },
    w: { type: 'wait', duration: 'PT1H', next: 'e' },
    e: { type: 'event', events: [{ event: 'purchase', next: 'c' }], timeout: 'P1D', onTimeout: 'r' },
    c: {
      type: 'condition',
      paths: [
        { when: { '>': [{ var: 'event.xdm.total' }, 100] }, next: 'big' },
        { when: { '>': [{ var: 'datasources.crm.points' }, 10] }, next: 'big' },
      ],
    },
    big: { type: 'end' },
    r: { type: 'end' },
  },
  { goal: { event: 'purchase' } },
);

async function reportDriver(): Promise<JourneyDriver> {
  d = await welcomeDriver(
    {
      fetchDatasource: async (_ds, data) => {
        if ((data as { profileKey: string }).profileKey === 'email:p4') throw new Error('crm down');
        return { points: 0 };
      },
    },
    false,
  );
  await d.resources(
    { kind: 'action', value: webhookAction('http://127.0.0.1:9') },
    { kind: 'datasource', value: { id: 'crm', type: 'http', url: 'http://127.0.0.1:9/crm', method: 'GET' } },
  );
  await d.publish(config);
  return d;
}

describe('per-node report', () => {
  it('counts entries, arrivals, departures by outcome, errors, goals and who waits where, as the steps say', async () => {
    const j = await reportDriver();
    const steps = new StepCounter();
    const topic = new ReportsTopic();
    const check = () => {
      steps.add(j.stepRecords());
      topic.read(j);
      const report = topic.merged('j', 1);
      expectSameCounts(report, steps);
      return report;
    };
    const who = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'];
    for (const p of who) await j.event('user.signup', p);
    const cmds = new Map(j.commands('http').map((c) => [c.profileKey, c]));
    expect(check().nodes['a']).toMatchObject({ entered: 7, waiting: 7, left: {} });
    expect(j.metric('jo_journey_node_instances', { journey: 'j', version: 1, node: 'a' })).toBe(7);

    for (const p of ['p1', 'p3', 'p4', 'p6', 'p7']) await j.result(cmds.get(`email:${p}`)!, 'ok');
    await j.result(cmds.get('email:p2')!, 'error', { httpStatus: 500 });
    await j.event('commerce.purchase', 'p6', { total: 10 }); // goal while waiting on w
    await j.event('commerce.purchase', 'p6', { total: 10 }); // not waited for on w: discarded
    await j.exit('p2', 'j', 'ctl-1');
    let report = check();
    expect(report.nodes['a']).toMatchObject({
      entered: 7,
      waiting: 1,
      errors: 1,
      left: { continued: 5, actionError: 1 },
    });
    expect(report.nodes['w']).toMatchObject({
      entered: 6,
      waiting: 5,
      goals: 1,
      discarded: 1,
      left: { manualExit: 1 },
    });
    expect(j.metric('jo_journey_node_instances', { journey: 'j', version: 1, node: 'w' })).toBe(5);

    await j.advance(HOUR);
    await j.event('commerce.purchase', 'p1', { total: 150 }); // goal, c → big
    await j.event('commerce.purchase', 'p4', { total: 50 }); // goal, c fails on the data source
    await j.event('commerce.purchase', 'p7', { total: 50 }); // goal, c has no matching path
    expect(check().nodes['e']).toMatchObject({ entered: 5, waiting: 2, goals: 3, left: { continued: 3 } });
    // p3 and p6 time out on e → r; p5's action result never came: given up on (actionResultMissing) → w → e
    await j.advance(DAY);
    report = check();

    expect(report).toMatchObject({
      entries: 7,
      goals: 4,
      exits: { manualExit: 1, end: 3, dataSourceFailed: 1, noMatchingPath: 1 },
    });
    const codes = (id: string) => (report.nodes[id]?.recentErrors ?? []).map((e) => [e.code, e.message]);
    expect(codes('a')).toEqual([
      ['actionResultMissing', expect.stringMatching(/^no result for command .* within the grace period/)],
      ['actionError', 'error: HTTP 500'],
    ]);
    expect(codes('c')).toEqual([['dataSourceFailed', expect.stringContaining('crm down')]]);
    const counts = Object.fromEntries(Object.entries(report.nodes).map(([id, { recentErrors: _, ...n }]) => [id, n]));
    expect(counts).toEqual({
      a: {
        entered: 7,
        waiting: 0,
        errors: 2,
        goals: 0,
        discarded: 0,
        left: { continued: 5, actionError: 1, actionResultMissing: 1 },
      },
      w: { entered: 7, waiting: 0, errors: 0, goals: 1, discarded: 1, left: { continued: 6, manualExit: 1 } },
      e: { entered: 6, waiting: 1, errors: 0, goals: 3, discarded: 0, left: { continued: 3, eventTimeout: 2 } },
      c: {
        entered: 3,
        waiting: 0,
        errors: 1,
        goals: 0,
        discarded: 0,
        left: { continued: 1, dataSourceFailed: 1, noMatchingPath: 1 },
      },
      big: { entered: 1, waiting: 0, errors: 0, goals: 0, discarded: 0, left: { end: 1 } },
      r: { entered: 2, waiting: 0, errors: 0, goals: 0, discarded: 0, left: { end: 2 } },
    });
    for (const node of ['a', 'w', 'e'])
      expect(j.metric('jo_journey_node_instances', { journey: 'j', version: 1, node })).toBe(node === 'e' ? 1 : 0);
  });

  it('is restored from jo.reports after a restart and keeps counting from there (gauge included)', async () => {
    const j = await reportDriver();
    const steps = new StepCounter();
    const topic = new ReportsTopic();
    for (const p of ['p1', 'p2', 'p3']) await j.event('user.signup', p);
    const cmds = j.commands('http');
    await j.result(cmds[0]!, 'ok');
    steps.add(j.stepRecords());
    await j.driver.restart({ freshMetrics: true });
    expect(j.metric('jo_journey_node_instances', { journey: 'j', version: 1, node: 'a' })).toBe(2);
    expect(j.metric('jo_journey_node_instances', { journey: 'j', version: 1, node: 'w' })).toBe(1);
    for (const c of cmds.slice(1)) await j.result(c, 'ok');
    await j.advance(HOUR);
    await j.advance(DAY);
    steps.add(j.stepRecords());
    topic.read(j);
    const report = topic.merged('j', 1);
    expectSameCounts(report, steps);
    expect(report).toMatchObject({ entries: 3, exits: { end: 3 } });
    expect(report.nodes['r']).toMatchObject({ entered: 3, left: { end: 3 } });
    // the restored stores hold what jo.reports holds
    const stored: ReportRow[] = [];
    for (let p = 0; p < 3; p++) {
      const row = await j.driver.getStore<ReportRow>('journey-report', p).get('j/1');
      if (row) stored.push(row);
    }
    expect(mergeReportRows('j', 1, stored)).toEqual(report);
  });

  it('counts an instance halted by a pause where its last step was, until the resume moves it on', async () => {
    const j = await reportDriver();
    await j.publish(
      journey(
        {
          w: { type: 'wait', duration: 'PT1H', next: 'e' },
          e: { type: 'event', events: [{ event: 'signup', next: 'r' }], timeout: 'P1D', onTimeout: 'r' },
          r: { type: 'end' },
        },
        { start: 'w', exit: [{ event: 'purchase' }] },
      ),
    );
    const steps = new StepCounter();
    const topic = new ReportsTopic();
    const report = () => {
      steps.add(j.stepRecords());
      topic.read(j);
      const r = topic.merged('j', 2);
      // an instance that halted before `e` and then ended there never had a step arriving at `e`: only the report
      // counts that arrival, so `entered` is not compared with the step counter here
      expect({ entries: r.entries, exits: r.exits, waiting: field(r, 'waiting') }).toEqual({
        entries: steps.entries,
        exits: steps.exits,
        waiting: steps.waiting(),
      });
      return r;
    };
    for (const p of ['p1', 'p2', 'p3']) await j.event('user.signup', p);
    await j.pause('j', true);
    await j.advance(HOUR); // the waits end: all three halt before `e`, without a step
    expect(field(report(), 'waiting')).toEqual({ w: 3 });
    expect(j.metric('jo_journey_node_instances', { journey: 'j', version: 2, node: 'w' })).toBe(3);
    await j.event('commerce.purchase', 'p1', { total: 1 }); // exit criterion: p1 ends where it halted
    expect(report().nodes).toMatchObject({
      w: { entered: 3, waiting: 2, left: { continued: 1 } },
      e: { entered: 1, waiting: 0, left: { exitCriteria: 1 } },
    });
    await j.pause('j', false);
    await j.advance(5_000); // the resume sweep walks p2 and p3 on to `e`
    expect(report().nodes).toMatchObject({
      w: { entered: 3, waiting: 0, left: { continued: 3 } },
      e: { entered: 3, waiting: 2, left: { exitCriteria: 1 } },
    });
    expect(j.metric('jo_journey_node_instances', { journey: 'j', version: 2, node: 'e' })).toBe(2);
  });
});
