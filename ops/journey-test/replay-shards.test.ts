// A replay's simulation split over worker threads gives the same counts as one simulation: the same events,
// profiles and canned responses, fed in the same batches, through 1 and 2 shards. The journey reads the
// profile (so each profile record must reach its events' shard), waits, waits for a follow-up event with a
// timeout, and sends two actions with a latency (results come back at simulated times).
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { EventConfig, JourneyConfig } from '../../schemas/index.js';
import { orderedCounts } from './replay-counter.js';
import type { ShardSetup } from './replay-shard.js';
import { ReplayShards, type ReplayEvent } from './replay-shards.js';
import { defaultReplayWorkers } from './replay.js';

const journey: JourneyConfig = {
  id: 'shards',
  name: 'shards',
  namespace: 'crmId',
  entry: { event: 'ev-a' },
  start: 'first',
  nodes: {
    first: { type: 'action', action: 'hook', params: { n: { var: 'event.xdm.n' } }, next: 'gold' },
    gold: {
      type: 'condition',
      paths: [{ when: { '==': [{ var: 'profile.tier' }, 'gold'] }, next: 'big' }],
      otherwise: 'check',
    },
    check: {
      type: 'condition',
      paths: [{ when: { '>': [{ var: 'event.xdm.n' }, 50] }, next: 'big' }],
      otherwise: 'small',
    },
    big: { type: 'wait', duration: 'PT30M', next: 'second' },
    small: { type: 'event', events: [{ event: 'ev-follow', next: 'second' }], timeout: 'PT1H', onTimeout: 'done' },
    second: { type: 'action', action: 'hook', params: {}, next: 'done' },
    done: { type: 'end' },
  },
};

const START = Date.parse('2026-01-01T00:00:00Z');
const SPAN = 2 * 3_600_000;
const N = 1_200;
const event = (t: string): EventConfig => ({
  id: `ev-${t}`,
  name: t,
  recognition: { eventType: `t.${t}` },
  identity: { namespace: 'crmId', path: 'person.id' },
});
const setup: ShardSetup = {
  resources: {
    events: [event('a'), event('follow')],
    actions: [{ id: 'hook', type: 'http', url: 'http://127.0.0.1:9/hook', method: 'POST' }],
    datasources: [],
  },
  journeys: [{ id: journey.id, versions: [{ version: 1, state: 'live', createdAt: '2025-01-01T00:00:00Z', journey }] }],
  responses: { actions: { hook: { status: 200, body: {}, latencyMs: 1_500 } } },
  start: START,
};

/** Event i: every 4th is the follow-up of the profile 3 events earlier; one in 10 is not JSON (dead-lettered). */
function events(): ReplayEvent[] {
  return Array.from({ length: N }, (_, i) => {
    const p = i % 4 === 3 ? i - 3 : i;
    const body =
      i % 10 === 9
        ? 'not json'
        : JSON.stringify({ eventType: i % 4 === 3 ? 't.follow' : 't.a', person: { id: `p${p}` }, n: p % 100 });
    return { at: START + Math.floor((i * SPAN) / N), key: null, value: Buffer.from(body) };
  });
}

async function replay(workers: number) {
  const shards = new ReplayShards(workers);
  try {
    await shards.setup(setup);
    for (let p = 0; p < N; p += 7) shards.profile(`crmId:p${p}`, JSON.stringify({ tier: 'gold' }));
    await shards.flushProfiles();
    const all = events();
    for (let i = 0; i < all.length; i += 100) {
      const batch = all.slice(i, i + 100);
      await shards.events(batch, (batch.at(-1)?.at ?? 0) - 1, batch.length);
    }
    return orderedCounts(await shards.finish(START + SPAN + 3_600_000), Object.keys(journey.nodes));
  } finally {
    await shards.close();
  }
}

describe('replay shards', () => {
  it('1 and 2 shards give identical counts, commands, peaks and discards', async () => {
    const one = await replay(1);
    // 840 JSON events of type a enter; 120 of their profiles are gold (profile records), the rest go by `n`
    expect(one.nodes['first']).toEqual({ entered: 840 });
    expect(one.nodes['check']).toEqual({ transitioned: 720 });
    expect(one.nodes['small']).toEqual({ timedout: 257, transitioned: 370 });
    expect(one.commands).toEqual({ hook: 840 + 583 });
    expect(one.peaks).toEqual({ 'http://127.0.0.1:9': { perSecond: 2, at: '2026-01-01T00:30:00.000Z' } });
    expect(JSON.stringify(await replay(2))).toBe(JSON.stringify(one));
  }, 60_000);
});

describe('defaultReplayWorkers', () => {
  it('is one shard per core, at most 4, unless JO_REPLAY_WORKERS says otherwise (empty: the default)', () => {
    const perCore = Math.min(availableParallelism(), 4);
    expect(defaultReplayWorkers({})).toBe(perCore);
    expect(defaultReplayWorkers({ JO_REPLAY_WORKERS: '' })).toBe(perCore);
    expect(defaultReplayWorkers({ JO_REPLAY_WORKERS: '3' })).toBe(3);
    expect(defaultReplayWorkers({ JO_REPLAY_WORKERS: 'two' })).toBe(1);
  });
});
