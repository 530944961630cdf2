import { describe, expect, it } from 'vitest';
import { ConfigView } from './config-view.js';
import { configKey, parseConfigKey } from './config-record.js';
import type { JourneyConfig, JourneyRecord, JourneyState } from './resources.js';
import {
  cartEvent,
  cartJourney,
  emailAction,
  loyaltyDatasource,
  purchaseEvent,
  smsAction,
} from './fixtures/config-fixtures.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

function record(id: string, versions: Array<[number, JourneyState, JourneyConfig?]>): JourneyRecord {
  return {
    id,
    versions: versions.map(([version, state, journey]) => ({
      version,
      state,
      createdAt: '2026-01-01T00:00:00.000Z',
      journey: journey ?? { ...cartJourney, id },
    })),
  };
}

function loaded(): ConfigView {
  const v = new ConfigView();
  for (const e of [cartEvent, purchaseEvent]) v.apply(configKey('event', e.id), json(e));
  v.apply(configKey('datasource', 'loyalty'), json(loyaltyDatasource));
  for (const a of [emailAction, smsAction]) v.apply(configKey('action', a.id), JSON.stringify(a));
  return v;
}

describe('config keys', () => {
  it('round-trip and refuse unknown kinds or bad ids', () => {
    expect(parseConfigKey(configKey('journey', 'j-1'))).toEqual({ kind: 'journey', id: 'j-1' });
    expect(parseConfigKey('widget/x')).toBeUndefined();
    expect(parseConfigKey('event/__proto__')).toBeUndefined();
    expect(parseConfigKey('event')).toBeUndefined();
  });
});

describe('ConfigView', () => {
  it('serves resources by id and kind, and forgets deleted ones (null value)', () => {
    const v = loaded();
    expect(v.event('purchase')).toEqual(purchaseEvent);
    expect(v.datasource('loyalty')).toEqual(loyaltyDatasource);
    expect(v.action('sendSms')).toEqual(smsAction);
    expect(v.list('event').map((e) => e.id)).toEqual(['cartAbandoned', 'purchase']);
    const r = v.apply('event/purchase', null);
    expect(r).toMatchObject({ ok: true, deleted: true, kind: 'event', id: 'purchase' });
    expect(v.event('purchase')).toBeUndefined();
  });

  it('ignores bad records and keeps the previous value, saying why', () => {
    const v = loaded();
    expect(v.apply('event/purchase', '{nope').problems[0]?.code).toBe('CONFIG_RECORD_INVALID');
    expect(v.apply('gadget/x', '{}').problems[0]?.code).toBe('CONFIG_KEY_INVALID');
    expect(v.apply('event/purchase', json({ ...purchaseEvent, id: 'other' })).problems.map((p) => p.code)).toEqual([
      'ID_MISMATCH',
    ]);
    expect(v.apply('event/purchase', json({ id: 'purchase' })).ok).toBe(false);
    expect(v.event('purchase')).toEqual(purchaseEvent);
    expect(v.apply('journey/j', json({ id: 'j', versions: 'x' })).ok).toBe(false);
    expect(v.revision).toBe(10);
  });

  it('indexes live journeys by entry event, and only the live version', () => {
    const v = loaded();
    const v2: JourneyConfig = { ...cartJourney, id: 'j1', entry: { event: 'purchase' } };
    v.apply(
      'journey/j1',
      json(
        record('j1', [
          [1, 'closed'],
          [2, 'live', v2],
        ]),
      ),
    );
    v.apply('journey/j2', json(record('j2', [[1, 'draft']])));
    v.apply('journey/j3', json(record('j3', [[1, 'live']])));
    expect(v.liveJourneysFor('purchase').map((c) => [c.id, c.version])).toEqual([['j1', 2]]);
    expect(v.liveJourneysFor('cartAbandoned').map((c) => [c.id, c.version])).toEqual([['j3', 1]]);
    expect(v.liveJourneysFor('nothing')).toEqual([]);
    v.apply(
      'journey/j1',
      json(
        record('j1', [
          [1, 'closed'],
          [2, 'closed', v2],
        ]),
      ),
    );
    expect(v.liveJourneysFor('purchase')).toEqual([]);
  });

  it('compiles closed versions for running instances, even after a resource they used was deleted', () => {
    const v = loaded();
    v.apply('journey/j1', json(record('j1', [[1, 'closed']])));
    expect(v.compiled('j1', 1)?.nodes['email']?.datasources).toEqual(['loyalty']);
    v.apply('action/sendEmail', null);
    const c = v.compiled('j1', 1);
    expect(c?.version).toBe(1);
    expect(c?.nodes['email']?.datasources).toEqual([]);
    expect(v.compiled('j1', 9)).toBeUndefined();
    expect(v.compiled('nope', 1)).toBeUndefined();
  });

  it('says which versions were just stopped, and isStopped afterwards', () => {
    const v = loaded();
    expect(v.apply('journey/j1', json(record('j1', [[1, 'live']]))).stoppedVersions).toEqual([]);
    const r = v.apply('journey/j1', json(record('j1', [[1, 'stopped']])));
    expect(r.stoppedVersions).toEqual([1]);
    expect(v.isStopped('j1', 1)).toBe(true);
    expect(v.versionState('j1', 1)).toBe('stopped');
    expect(
      v.apply(
        'journey/j1',
        json(
          record('j1', [
            [1, 'stopped'],
            [2, 'draft'],
          ]),
        ),
      ).stoppedVersions,
    ).toEqual([]);
  });

  it('lists the live journeys using a resource', () => {
    const v = loaded();
    v.apply('journey/a', json(record('a', [[1, 'live']])));
    v.apply('journey/b', json(record('b', [[1, 'draft']])));
    expect(v.usedByLive('datasource', 'loyalty')).toEqual(['a']);
    expect(v.usedByLive('action', 'sendSms')).toEqual(['a']);
    expect(v.usedByLive('event', 'purchase')).toEqual(['a']);
    v.apply('journey/a', json(record('a', [[1, 'closed']])));
    expect(v.usedByLive('datasource', 'loyalty')).toEqual([]);
  });
});

describe('journey versions under their own keys', () => {
  it('fills version configs from journey/<id>/v/<n>/<config>; a pruned version (tombstone) and its compilation go', () => {
    const v = loaded();
    const [h1, h2] = ['0123456789abcdef', 'fedcba9876543210'];
    expect(parseConfigKey(`journey/j/v/2/${h2}`)).toEqual({ kind: 'journey', id: 'j', version: 2, config: h2 });
    expect(parseConfigKey(`journey/j/v/0/${h1}`)).toBeUndefined();
    expect(parseConfigKey('journey/j/v/2')).toBeUndefined();
    const j = { ...cartJourney, id: 'j' };
    expect(v.apply(`journey/j/v/1/${h1}`, json(j)).ok).toBe(true);
    expect(v.apply(`journey/j/v/2/${h2}`, json({ ...j, name: 'second' })).ok).toBe(true);
    // a config for version 2 that the journey record does not name (another writer's) is not used
    expect(v.apply(`journey/j/v/2/${h1}`, json({ ...j, name: 'theirs' })).ok).toBe(true);
    const head = {
      id: 'j',
      versions: [
        { version: 1, state: 'draft', createdAt: 'x', config: h1 },
        { version: 2, state: 'live', createdAt: 'x', config: h2 },
      ],
    };
    expect(v.apply('journey/j', json(head)).ok).toBe(true);
    expect(v.version('j', 2)?.journey.name).toBe('second');
    expect(v.liveJourneysFor('cartAbandoned').map((c) => c.id)).toEqual(['j']);
    expect(v.storedJourney('j')?.versions[0]).not.toHaveProperty('journey');
    v.apply('journey/j', json({ ...head, versions: head.versions.slice(1) }));
    v.apply(`journey/j/v/1/${h1}`, null);
    expect(v.hasVersionKey('j', 1, h1)).toBe(false);
    expect(v.journey('j')?.versions.map((x) => x.version)).toEqual([2]);
    expect(v.apply(`journey/j/v/3/${h1}`, json({ ...j, id: 'other' })).problems[0]?.code).toBe('ID_MISMATCH');
  });
});
