/**
 * The replay benchmark's journey, resources and events (bench/replay.ts; bench/replay-sim-child.ts, which also runs
 * on the baseline tree, so this file uses only names that existed there too).
 */
import type { ActionConfig, EventConfig, JourneyConfig, JourneyRecord } from '../schemas/index.js';
import { xdmEvent } from './engine-config.js';

export const journey: JourneyConfig = {
  id: 'replay-bench',
  name: 'replay bench',
  namespace: 'crmId',
  entry: { event: 'ev-a' },
  start: 'first',
  nodes: {
    first: { type: 'action', action: 'hook', params: { journey: 'replay-bench' }, next: 'check' },
    check: {
      type: 'condition',
      paths: [{ when: { '>': [{ var: 'event.xdm.commerce.value' }, 50] }, next: 'big' }],
      otherwise: 'small',
    },
    big: { type: 'wait', duration: 'PT30M', next: 'second' },
    small: { type: 'event', events: [{ event: 'ev-follow', next: 'second' }], timeout: 'PT1H', onTimeout: 'done' },
    second: { type: 'action', action: 'hook', params: { journey: 'replay-bench' }, next: 'done' },
    done: { type: 'end' },
  },
};

const at = new Date().toISOString();
export const record: JourneyRecord = {
  id: journey.id,
  versions: [{ version: 1, state: 'live', createdAt: at, publishedAt: at, journey }],
};
const event = (t: string): EventConfig => ({
  id: `ev-${t}`,
  name: `bench ${t}`,
  recognition: { eventType: `bench.${t}` },
  identity: { namespace: 'crmId', path: 'person.id' },
});
export const resources = {
  events: [event('a'), event('follow')],
  actions: [{ id: 'hook', type: 'http', url: 'http://127.0.0.1:9/hook', method: 'POST' } as ActionConfig],
  datasources: [],
};

export function config(): Array<{ key: string; value: string }> {
  return [
    ...resources.events.map((e) => [`event/${e.id}`, e] as const),
    ...resources.actions.map((a) => [`action/${a.id}`, a] as const),
    [`journey/${journey.id}`, record] as const,
  ].map(([key, value]) => ({ key, value: JSON.stringify(value) }));
}

/** Event i: every 4th is the follow-up of the profile that entered 3 events earlier. */
export const eventValue = (i: number) => (i % 4 === 3 ? xdmEvent('follow', i - 3, 0) : xdmEvent('a', i, 0));
