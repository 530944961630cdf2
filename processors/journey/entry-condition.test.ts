import { describe, expect, it } from 'vitest';
import { event, Harness, journey, webhookAction } from '../testing/index.js';
import { readsInstanceId } from './entry-condition.js';
import { deterministicId } from './ids.js';

describe('entry condition', () => {
  it('knows which rules may read journey.instanceId (any doubt counts as a read)', () => {
    const notReading = [
      { '==': [{ var: 'event.xdm.segment' }, 1] },
      { and: [{ var: 'journey.id' }, { '>': [{ var: ['profile.age', 0] }, 18] }] },
      { in: ['gold', { var: 'journeyish' }] },
    ];
    const reading = [
      { '==': [{ var: 'journey.instanceId' }, 'x'] },
      { '!!': { var: 'journey' } },
      { '!!': { var: '' } },
      { '!!': { var: [''] } },
      { '!!': { var: null } },
      { '==': [{ var: ['event.x', { var: 'journey.instanceId' }] }, 1] },
      { missing: ['journey.instanceId'] },
      { some: [[1], { '==': [{ var: 'journey.instanceId.length' }, 36] }] },
    ];
    expect(notReading.map(readsInstanceId)).toEqual(notReading.map(() => false));
    expect(reading.map(readsInstanceId)).toEqual(reading.map(() => true));
  });

  it('a condition on the instance id sees the id the instance then gets; a failing one makes no instance', async () => {
    const h = new Harness();
    h.actions.set('hook', webhookAction('http://127.0.0.1:9'));
    const cfg = (id: string, condition: unknown) =>
      journey(
        {
          a: { type: 'action', action: 'hook', params: { coupon: { var: 'journey.instanceId' } }, next: 'b' },
          b: { type: 'end' },
        },
        { id, entry: { event: 'signup', condition } },
      );
    // the id the first instance of email:carl in `reads` v1 gets for event e-carl
    const carlsId = deterministicId('instance', 'reads', 1, 'email:carl', 1, 'e-carl');
    h.publish(cfg('reads', { '==': [{ var: 'journey.instanceId' }, carlsId] }));
    h.publish(cfg('segment', { '==': [{ var: 'event.xdm.segment' }, 1] }));
    await h.send(event('signup', 'ann', { segment: 2 }));
    expect(h.out.commands).toEqual([]);
    expect(h.out.discards.map((d) => `${d.journeyId}:${d.reason}`).sort()).toEqual([
      'reads:entryConditionNotMet',
      'segment:entryConditionNotMet',
    ]);
    await h.send(event('signup', 'carl', {}, 'e-carl'));
    await h.send(event('signup', 'bob', { segment: 1 }, 'e-bob'));
    const [reads, seg] = h.out.commands.map((c) => c.command);
    expect([reads?.journeyId, reads?.instanceId]).toEqual(['reads', carlsId]);
    expect(JSON.parse(reads?.request.body ?? '{}')).toMatchObject({ coupon: carlsId });
    // made after the condition held: the instance's own id, in the params of its first node too
    expect(seg?.journeyId).toBe('segment');
    expect(JSON.parse(seg?.request.body ?? '{}')).toMatchObject({ coupon: seg?.instanceId });
    expect(seg?.instanceId).toBe(deterministicId('instance', 'segment', 1, 'email:bob', 1, 'e-bob'));
  });
});
