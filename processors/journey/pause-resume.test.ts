import { describe, expect, it } from 'vitest';
import { event, Harness, journey, webhookAction } from '../testing/index.js';

const HOUR = 3_600_000;

/** signup → wait 1 h → event node (purchase, 1 day timeout) → webhook → end. */
const cart = journey(
  {
    pause: { type: 'wait', duration: 'PT1H', next: 'buy' },
    buy: { type: 'event', events: [{ event: 'purchase', next: 'call' }], timeout: 'P1D', onTimeout: 'done' },
    call: { type: 'action', action: 'webhook', next: 'done' },
    done: { type: 'end' },
  },
  { id: 'cart', name: 'Cart', start: 'pause' },
);

function harness(): Harness {
  const h = new Harness();
  h.actions.set('webhook', webhookAction('http://127.0.0.1:1'));
  h.publish(cart);
  return h;
}

describe('pause and resume', () => {
  it('while paused nobody enters and an instance halts at its next node; resume goes on from there', async () => {
    const h = harness();
    await h.send(event('signup', 'ann'));
    h.paused.add('cart');
    await h.send(event('signup', 'bob'));
    expect(h.trail('bob')).toEqual(['$entry:discarded:journeyPaused']);
    await h.advance(HOUR); // ann's wait ends: she halts at `buy` without evaluating it (no step, no timer)
    expect(h.trail('ann')).toEqual(['pause:entered']);
    const state = await h.store.get('email:ann');
    expect(state?.journeys['cart']?.instance?.blocked).toEqual({ kind: 'paused', nodeId: 'buy', after: 'pause' });
    expect(state?.journeys['cart']?.instance?.currentNode).toBe('buy');
    await h.advance(2 * HOUR); // nothing happens while paused
    expect(h.trail('ann')).toEqual(['pause:entered']);
    await h.resume('cart');
    expect(h.trail('ann')).toEqual(['pause:entered', 'buy:transitioned']);
    await h.send(event('purchase', 'ann'));
    expect(h.trail('ann').slice(-2)).toEqual(['call:transitioned', 'done:ended:end']);
    expect(h.commandsFor('ann')).toHaveLength(1);
    // entries are admitted again
    await h.send(event('signup', 'bob'));
    expect(h.trail('bob').at(-1)).toBe('pause:entered');
  });

  it('events for a halted instance are queued within the pending limit and fed to it on resume', async () => {
    const h = harness();
    await h.send(event('signup', 'ann'));
    h.paused.add('cart');
    await h.advance(HOUR);
    await h.send(event('purchase', 'ann')); // queued: ann is halted before `buy`
    expect(h.commandsFor('ann')).toHaveLength(0);
    for (let i = 0; i < 10; i++) await h.send(event('purchase', 'ann')); // 9 more fit (limit 10), then discards
    expect(h.reasons().filter((r) => r === 'tooManyPendingEvents')).toHaveLength(1);
    await h.resume('cart');
    // the first queued purchase continues her at `buy`; the journey ends; the rest find her ended
    expect(h.trail('ann')).toEqual([
      'pause:entered',
      'buy:discarded:tooManyPendingEvents', // the 11th purchase, refused while she was halted
      'buy:transitioned',
      'call:transitioned',
      'done:ended:end',
    ]);
    expect(h.commandsFor('ann')).toHaveLength(1);
  });

  it('a halted instance still obeys exit criteria and the journey timeout; an instance on an event node is not halted until it moves', async () => {
    const h = new Harness();
    h.actions.set('webhook', webhookAction('http://127.0.0.1:1'));
    h.publish({ ...cart, exit: [{ event: 'unsubscribe' }] });
    await h.send(event('signup', 'ann'));
    await h.send(event('signup', 'cid'));
    await h.advance(HOUR); // both wait on `buy` (not halted: they were there before the pause)
    h.paused.add('cart');
    await h.send(event('purchase', 'cid')); // accepted by `buy`, halts at `call`: no command while paused
    expect(h.trail('cid').slice(-1)).toEqual(['buy:transitioned']);
    expect(h.commandsFor('cid')).toHaveLength(0);
    await h.send(event('unsubscribe', 'cid')); // exit criteria end a halted instance
    expect(h.trail('cid').at(-1)).toBe('call:ended:exitCriteria');
    await h.resume('cart');
    expect(h.commandsFor('cid')).toHaveLength(0);
    expect(h.trail('ann').slice(-1)).toEqual(['buy:transitioned']); // ann was not halted: resume does not touch her
  });
});
