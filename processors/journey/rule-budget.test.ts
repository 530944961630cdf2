import { describe, expect, it } from 'vitest';
import type { EventConfig } from '../../schemas/index.js';
import { normalizeEvent } from './event-normalizer.js';
import { evaluateWith } from './rules.js';
import { event, Harness, journey } from '../testing/index.js';

/** Doubles the accumulator once per item: 40 items would build 2^40 elements. */
const doubling = {
  reduce: [{ var: 'event.xdm.items' }, { merge: [{ var: 'accumulator' }, { var: 'accumulator' }] }, [1]],
};
const items = Array.from({ length: 40 }, (_, i) => i);
const at = { now: 0, timezone: 'UTC' };

describe('rule budgets', () => {
  it('stop a rule whose built arrays explode, with RULE_BUDGET_EXCEEDED (no out-of-memory)', () => {
    expect(() => evaluateWith(doubling, { event: { xdm: { items } } }, at)).toThrow(
      expect.objectContaining({ code: 'RULE_BUDGET_EXCEEDED', retryable: false }),
    );
    // the same rule over a few items stays within budget
    expect(evaluateWith(doubling, { event: { xdm: { items: [1, 2, 3] } } }, at)).toHaveLength(8);
  });

  it('stop a rule that takes too many operations or builds a huge string', () => {
    const many = { map: [{ var: 'xs' }, { '+': [{ var: '' }, 1] }] };
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    expect(evaluateWith(many, { xs }, at)).toHaveLength(1000);
    expect(() => evaluateWith(many, { xs }, { ...at, budget: { ...budget, maxOps: 500 } })).toThrow(/operations/);
    const cat = { reduce: [{ var: 'xs' }, { cat: [{ var: 'accumulator' }, { var: 'accumulator' }] }, 'ab'] };
    expect(() => evaluateWith(cat, { xs: items }, at)).toThrow(
      expect.objectContaining({ code: 'RULE_BUDGET_EXCEEDED' }),
    );
  });

  it('dead-letter an event whose recognition rule works past the budget', async () => {
    const cfg: EventConfig = {
      id: 'exploding',
      name: 'Exploding',
      recognition: { rule: { some: [{ reduce: [{ var: 'items' }, doubling.reduce[1], [1]] }, { '==': [1, 1] }] } },
      identity: { namespace: 'email', path: 'email' },
    };
    const r = await normalizeEvent({
      value: Buffer.from(JSON.stringify({ email: 'ann@example.com', items })),
      events: [cfg],
      maxBytes: 10_000,
      fallbackId: 'x',
      fallbackTimestamp: 0,
      now: 0,
    });
    expect(r).toMatchObject({ kind: 'dead', code: 'RULE_BUDGET_EXCEEDED' });
  });

  it('send an instance down its error path when a condition works past the budget', async () => {
    const h = new Harness();
    h.publish(journey({ a: { type: 'condition', paths: [{ when: doubling, next: 'b' }] }, b: { type: 'end' } }));
    await h.send(event('signup', 'ann', { items }));
    await h.send(event('signup', 'bob', { items: [1, 2] }));
    expect(h.trail('ann')).toEqual(['a:entered', 'a:error:ruleFailed']);
    expect(h.trail('bob')).toEqual(['a:entered', 'b:ended:end']);
  });
});

const budget = { maxOps: 100_000, maxArrayLength: 100_000, maxStringLength: 1_048_576, maxBuilt: 4_000_000 };
