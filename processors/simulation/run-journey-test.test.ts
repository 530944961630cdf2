import { describe, expect, it } from 'vitest';
import { journeyTestProblems, type JourneyTestRequest } from '../../schemas/index.js';
import { configFixtures } from '../../schemas/testing/index.js';
import { runJourneyTest, JourneyTestError } from './run-journey-test.js';
import { SimulationTooLargeError } from './journey-simulation.js';
import type { JourneyTestReport } from './test-report.js';

const { cartEvent, purchaseEvent, loyaltyDatasource, emailAction, smsAction, cartJourney } = configFixtures;
const resources = {
  events: [cartEvent, purchaseEvent],
  actions: [emailAction, smsAction],
  datasources: [loyaltyDatasource],
};
const { cartTestRequest: cartRequest, CART_TEST_PROFILES: WHO } = configFixtures;
const key = (w: string) => `email:${w}@example.com`;
const identity = (w: string) => ({ email: [{ id: `${w}@example.com` }] });

function run(request: JourneyTestRequest, limits?: Parameters<typeof runJourneyTest>[0]['limits']) {
  return runJourneyTest({
    resources,
    journey: { id: 'cartRecovery', version: 3, state: 'draft' },
    config: cartJourney,
    request,
    ...(limits ? { limits } : {}),
  });
}

function trails(r: JourneyTestReport): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(r.profiles).map(([k, p]) => [
      k.replace(/^email:|@example\.com$/g, ''),
      p.trail.map((s) => `${s.timestamp.slice(5, 19)} ${s.nodeId}:${s.status}${s.reason ? `:${s.reason}` : ''}`),
    ]),
  );
}

describe('runJourneyTest: a journey version on a simulated clock', () => {
  it('the cart journey: 5 profiles, a purchase on day 2 — exact trails, commands, timers and node counts', async () => {
    const r = await run(cartRequest());
    const start = ['01-01T00:00:00 wait1:entered', '01-01T01:00:00 waitBuy:transitioned'];
    const timedOut = [...start, '01-02T01:00:00 waitBuy:timedout:eventTimeout', '01-02T01:00:00 tier:transitioned'];
    expect(trails(r)).toEqual({
      // timers due at the same time fire in index order: ann's is first, so the first loyalty answer (gold) is hers
      ann: [...timedOut, '01-02T01:00:00 email:transitioned', '01-02T01:00:01 done:ended:end'],
      bob: [
        ...timedOut,
        '01-02T01:00:00 split:transitioned',
        '01-02T01:00:00 sms:transitioned',
        '01-02T01:00:00 done:ended:end',
      ],
      cat: [
        ...timedOut,
        '01-02T01:00:00 split:transitioned',
        '01-02T01:00:00 sms:transitioned',
        '01-02T01:00:00 done:ended:end',
      ],
      dan: [
        ...timedOut,
        '01-02T01:00:00 split:transitioned',
        '01-02T01:00:00 sms:transitioned',
        '01-02T01:00:00 done:ended:end',
      ],
      eve: [...start, '01-02T00:30:00 done:ended:end'],
    });
    expect(r.profiles[key('ann')]?.trail.at(-1)?.cause).toMatchObject({ type: 'result', action: 'sendEmail' });
    expect(r.profiles[key('eve')]?.trail.at(-1)?.cause).toEqual({ type: 'event', event: 5 });
    expect(r.commands.map((c) => [c.profileKey, c.action, c.timestamp, c.result.status, c.result.arrivesAt])).toEqual([
      [key('ann'), 'sendEmail', '2026-01-02T01:00:00.000Z', 'ok', '2026-01-02T01:00:01.500Z'],
      [key('cat'), 'sendSms', '2026-01-02T01:00:00.000Z', 'ok', '2026-01-02T01:00:00.000Z'],
      [key('bob'), 'sendSms', '2026-01-02T01:00:00.000Z', 'ok', '2026-01-02T01:00:00.000Z'],
      [key('dan'), 'sendSms', '2026-01-02T01:00:00.000Z', 'ok', '2026-01-02T01:00:00.000Z'],
    ]);
    const email = r.commands[0];
    expect(email?.request).toEqual({
      url: 'http://127.0.0.1:9999/email',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': email?.commandId },
      body: '{"to":"ann@example.com","tier":"gold"}',
    });
    expect(r.nodes).toEqual({
      wait1: { entered: 5 },
      waitBuy: { timedout: 4, transitioned: 5 },
      tier: { transitioned: 4 },
      split: { transitioned: 3 },
      email: { transitioned: 1 },
      sms: { transitioned: 3 },
      done: { ended: 5 },
    });
    // per instance: wait, event timeout, journey timeout (+ ann's action timeout); eve's purchase cancels hers
    expect(r.timers.filter((t) => t.kind === 'wait').map((t) => [t.dueAt, t.outcome])).toEqual(
      WHO.map(() => ['2026-01-01T01:00:00.000Z', 'fired']),
    );
    expect(
      r.timers
        .filter((t) => t.kind === 'eventTimeout')
        .map((t) => t.outcome)
        .sort(),
    ).toEqual(['cancelled', 'fired', 'fired', 'fired', 'fired']);
    expect(r.timers.filter((t) => t.kind === 'journeyTimeout').every((t) => t.outcome === 'cancelled')).toBe(true);
    expect(r.calls).toEqual({ 'actions/sendEmail': 1, 'actions/sendSms': 3, 'datasources/loyalty': 4 });
    // the SMS results arrive after those instances ended: what the live engine counts as stale too
    expect(r.discards.map((d) => d.reason)).toEqual(['staleActionResult', 'staleActionResult', 'staleActionResult']);
    expect(r.errors).toEqual([]);
    expect(r.end).toBe('2026-01-09T00:30:00.000Z'); // last event + the journey's 7-day timeout
  });

  it('the same request gives byte-identical answers', async () => {
    const a = JSON.stringify(await run(cartRequest()));
    const b = JSON.stringify(await run(cartRequest()));
    expect(a).toBe(b);
  });

  it('reports rule errors with their node, failed actions taking onError, and dead letters', async () => {
    const r = await run(
      cartRequest({
        events: [
          ...cartRequest().events.slice(0, 2),
          { offset: 'PT1M', event: { eventType: 'commerce.cartAbandoned' } }, // no identity: dead-lettered
          { offset: 'PT2M', event: { eventType: 'commerce.cartAbandoned', identityMap: identity('cat') } },
        ],
        responses: {
          datasources: { loyalty: [{ body: { tier: 'gold' } }, { status: 503 }] },
          actions: { sendEmail: [{ status: 500 }, { status: 500 }, { status: 404 }] },
        },
      }),
    );
    expect(trails(r)['ann']?.slice(-3)).toEqual([
      '01-02T01:00:00 email:error:actionError',
      '01-02T01:00:00 sms:transitioned',
      '01-02T01:00:00 done:ended:end',
    ]);
    expect(r.commands[0]?.result).toMatchObject({ status: 'error', httpStatus: 404, attempts: 3 });
    expect(r.errors).toEqual([
      { timestamp: '2026-01-02T01:00:00.000Z', profileKey: key('bob'), nodeId: 'tier', reason: 'dataSourceFailed' },
      { timestamp: '2026-01-02T01:00:00.000Z', profileKey: key('ann'), nodeId: 'email', reason: 'actionError' },
    ]);
    expect(r.deadLetters.map((d) => [d.code, d.cause])).toEqual([['EVENT_NO_IDENTITY', { type: 'event', event: 2 }]]);
    // cat's cart has no total: the entry condition refuses it
    expect(r.discards.find((d) => d.cause.type === 'event')).toMatchObject({ cause: { event: 3 } });
  });

  it('a 60-day wait costs no wall-clock time', async () => {
    const longWait = {
      ...cartJourney,
      timeout: 'P90D',
      nodes: { wait1: { type: 'wait' as const, duration: 'P60D', next: 'done' }, done: { type: 'end' as const } },
    };
    const r = await runJourneyTest({
      resources,
      journey: { id: 'cartRecovery', version: 1, state: 'draft' },
      config: longWait,
      request: cartRequest(),
    });
    expect(trails(r)['ann']).toEqual(['01-01T00:00:00 wait1:entered', '03-02T00:00:00 done:ended:end']);
  });

  it('refuses requests over the limits with a code', async () => {
    const limits = {
      maxRequestBytes: 1000,
      maxEvents: 3,
      maxProfiles: 2,
      maxHorizonMs: 10 * 86_400_000,
      maxSimulatedInputs: 8,
    };
    expect(journeyTestProblems(cartRequest(), limits).map((p) => p.code)).toEqual(['TEST_REQUEST_TOO_LARGE']);
    expect(
      journeyTestProblems(cartRequest(), { ...limits, maxRequestBytes: 1e6 }).map((p) => [p.pointer, p.code]),
    ).toEqual([
      ['/events', 'TEST_TOO_MANY_EVENTS'],
      ['/profiles', 'TEST_TOO_MANY_PROFILES'],
    ]);
    expect(
      journeyTestProblems(
        { events: [{ at: '2026-01-01T00:00:00Z', offset: 'P1D', event: {} }], horizon: 'P1Y' },
        limits,
      ).map((p) => p.code),
    ).toEqual(['TEST_EVENT_TIME', 'TEST_HORIZON']);
    expect(journeyTestProblems({ events: [{ offset: 'soon' }] }).map((p) => p.pointer)).toEqual([
      '/events/0/event',
      '/events/0/offset',
    ]);
    await expect(
      run(cartRequest(), { ...limits, maxRequestBytes: 1e6, maxEvents: 10, maxProfiles: 10 }),
    ).rejects.toThrow(SimulationTooLargeError);
    await expect(
      run(cartRequest({ start: '2026-02-01T00:00:00Z', events: [{ at: '2026-01-01T00:00:00Z', event: {} }] })),
    ).rejects.toThrow(JourneyTestError);
  });
});
