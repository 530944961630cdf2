// Step records on jo.step-events (PRODUCT.md → Messages → step record): one record per instance per input, holding
// the ordered steps; discards of journeys that did not match are counted, and written only in verbose mode.
import { describe, expect, it } from 'vitest';
import { StepRecord } from '../schemas/index.js';
import { Value } from '@sinclair/typebox/value';
import { closeDriversAfterEach, DAY, journey, welcomeDriver } from './testing/driver.js';
import { webhookAction } from './testing/journeys.js';

closeDriversAfterEach();

const summary = (r: StepRecord) =>
  `${r.profileKey}|${r.journeyId}|${r.cause.type}|${r.steps.map((s) => [s.nodeId, s.status, s.reason].filter(Boolean).join(':')).join(',')}`;

describe('step records', () => {
  it('one record per instance per input, with the cause and the ordered steps', async () => {
    const j = await welcomeDriver();
    await j.event('user.signup', 'ann', { _id: 'evt-signup-1' });
    const [entered, ...more] = j.stepRecords();
    expect(more).toEqual([]);
    expect(Value.Check(StepRecord, entered)).toBe(true);
    expect(entered).toMatchObject({
      journeyId: 'welcome',
      journeyVersion: 1,
      profileKey: 'email:ann',
      cause: { type: 'event', id: 'evt-signup-1' },
    });
    expect(entered?.steps.map((s) => `${s.nodeId}:${s.nodeType}:${s.status}`)).toEqual([
      'email:action:entered',
      'pause:wait:transitioned',
    ]);
    await j.advance(DAY);
    const [woke] = j.stepRecords();
    expect(woke?.cause.type).toBe('timer');
    expect(woke?.instanceId).toBe(entered?.instanceId);
    await j.event('commerce.purchase', 'ann', { _id: 'evt-buy-1' });
    expect(j.stepRecords().map(summary)).toEqual(['email:ann|welcome|event|thanks:transitioned,done:ended:end']);
  });

  it('an action result is the cause of the steps it leads to', async () => {
    const j = await welcomeDriver({}, false);
    await j.resources({ kind: 'action', value: webhookAction('http://127.0.0.1:9') });
    await j.publish(
      journey({
        a: { type: 'action', action: 'webhook', next: 'b', onError: 'c' },
        b: { type: 'end' },
        c: { type: 'end' },
      }),
    );
    await j.event('user.signup', 'x');
    const [cmd] = j.commands('http');
    j.stepRecords();
    if (!cmd) throw new Error('no command');
    await j.result(cmd, 'error', { httpStatus: 500 });
    const recs = j.stepRecords();
    expect(recs.map(summary)).toEqual(['email:x|j|result|a:error:actionError,c:ended:end']);
    expect(recs[0]?.cause.id).toBe(cmd.commandId);
  });

  it('one input moving two journeys gives two records', async () => {
    const j = await welcomeDriver();
    await j.publish(journey({ a: { type: 'wait', duration: 'P1D', next: 'b' }, b: { type: 'end' } }));
    await j.event('user.signup', 'ann');
    const recs = j.stepRecords();
    expect(recs.map((r) => r.journeyId).sort()).toEqual(['j', 'welcome']);
    expect(new Set(recs.map((r) => r.cause.id)).size).toBe(1);
  });

  it('discards of journeys that did not match are counted, and written only when verbose', async () => {
    const gated = (id: string, verboseSteps?: boolean) =>
      journey(
        { a: { type: 'end' } },
        {
          id,
          entry: { event: 'signup', condition: { '==': [{ var: 'event.xdm.plan' }, 'pro'] } },
          ...(verboseSteps !== undefined ? { verboseSteps } : {}),
        },
      );
    const quiet = await welcomeDriver({}, false);
    await quiet.publish(gated('quiet'));
    await quiet.publish(gated('loud', true));
    await quiet.event('user.signup', 'ann', { plan: 'free' });
    await quiet.event('commerce.purchase', 'ann');
    expect(quiet.stepRecords().map(summary)).toEqual(['email:ann|loud|event|$entry:discarded:entryConditionNotMet']);
    expect(quiet.metric('jo_events_discarded_total', { reason: 'entryConditionNotMet', journey: 'quiet' })).toBe(1);
    expect(quiet.metric('jo_events_discarded_total', { reason: 'entryConditionNotMet', journey: 'loud' })).toBe(1);
    expect(quiet.metric('jo_events_discarded_total', { reason: 'noJourneyForEvent', journey: '' })).toBe(1);
    await quiet.close();

    const verbose = await welcomeDriver({ verboseSteps: true }, false);
    await verbose.publish(gated('quiet'));
    await verbose.event('user.signup', 'ann', { plan: 'free' });
    await verbose.event('commerce.purchase', 'ann');
    expect(verbose.stepRecords().map(summary)).toEqual([
      'email:ann|quiet|event|$entry:discarded:entryConditionNotMet',
      'email:ann||event|discarded:noJourneyForEvent',
    ]);
  });

  it('re-entrance refusals concern the profile and are always written, in the instance record', async () => {
    const j = await welcomeDriver();
    await j.event('user.signup', 'ann');
    j.stepRecords();
    await j.event('user.signup', 'ann');
    expect(j.stepRecords().map(summary)).toEqual([
      'email:ann|welcome|event|pause:discarded:notWaitingForEvent,$entry:discarded:reentranceNotAllowed',
    ]);
  });
});
