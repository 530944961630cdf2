import { describe, expect, it } from 'vitest';
import { compileJourney, type CompileResult } from './journey-compiler.js';
import { cartJourney, fixtureRefs } from './fixtures/config-fixtures.js';
import type { JourneyConfig } from './resources.js';

type Mutable = Record<string, unknown> & { nodes: Record<string, Record<string, unknown>> };

/** A deep copy of the golden journey, changed by `f`. */
function journey(f: (j: Mutable) => void = () => {}): unknown {
  const j = structuredClone(cartJourney) as unknown as Mutable;
  f(j);
  return j;
}

function problems(r: CompileResult): Array<{ pointer: string; code: string }> {
  return r.ok ? [] : r.errors.map(({ pointer, code }) => ({ pointer, code }));
}

const refs = fixtureRefs();

/** Inserts `n` chained wait nodes between `sms` and `done`. */
function chain(j: Mutable, n: number): void {
  for (let i = 0; i < n; i++)
    j.nodes[`w${i}`] = { type: 'wait', duration: 'PT1M', next: i + 1 < n ? `w${i + 1}` : 'done' };
  j.nodes['sms'] = { type: 'action', action: 'sendSms', next: 'w0' };
}

describe('compileJourney: the golden journey', () => {
  it('compiles with parsed durations, data-source needs, entry and event index', () => {
    const r = compileJourney(cartJourney, refs, { version: 3 });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const c = r.compiled;
    expect(c).toMatchObject({ id: 'cartRecovery', version: 3, entryEvent: 'cartAbandoned', start: 'wait1' });
    expect(c.timeoutMs).toBe(7 * 86_400_000);
    expect(c.reentrance).toEqual({ allowed: true, waitPeriodMs: 3_600_000 });
    expect(c.timezone).toBe('UTC');
    expect(c.nodes['wait1']?.durationMs).toBe(3_600_000);
    expect(c.nodes['waitBuy']).toMatchObject({ timeoutMs: 86_400_000, waitsFor: ['purchase'], next: ['done', 'tier'] });
    expect(c.nodes['tier']?.datasources).toEqual(['loyalty']);
    // the action's body template reads datasources.loyalty: the node needs it although its params do not
    expect(c.nodes['email']?.datasources).toEqual(['loyalty']);
    expect(c.nodes['sms']?.datasources).toEqual([]);
    expect(c.waitingOn).toEqual({ purchase: ['waitBuy'] });
    expect(c.entryDatasources).toEqual([]);
    expect(c.references).toEqual({
      events: ['cartAbandoned', 'purchase'],
      actions: ['sendEmail', 'sendSms'],
      datasources: ['loyalty'],
      journeys: [],
    });
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });

  it('defaults: timeout P30D, re-entrance not allowed with PT5M, version 0', () => {
    const r = compileJourney(
      journey((j) => {
        delete j['timeout'];
        delete j['reentrance'];
      }),
      refs,
    );
    expect(r.ok && r.compiled).toMatchObject({
      version: 0,
      timeoutMs: 30 * 86_400_000,
      reentrance: { allowed: false, waitPeriodMs: 300_000 },
    });
  });

  it('records the data sources an entry condition reads', () => {
    const r = compileJourney(
      journey((j) => {
        j['entry'] = { event: 'cartAbandoned', condition: { var: 'datasources.loyalty.points' } };
      }),
      refs,
    );
    expect(r.ok && r.compiled.entryDatasources).toEqual(['loyalty']);
  });

  it('reports every problem at once', () => {
    const r = compileJourney(
      journey((j) => {
        j['start'] = 'nope';
        j.nodes['wait1'] = { type: 'wait', duration: 'P100D', next: 'waitBuy' };
        j.nodes['tier'] = { type: 'condition', paths: [{ when: { eval: [1] }, next: 'email' }], otherwise: 'split' };
        j.nodes['sms'] = { type: 'action', action: 'ghost', next: 'done' };
      }),
      refs,
    );
    expect(problems(r)).toEqual(
      expect.arrayContaining([
        { pointer: '/start', code: 'JOURNEY_START_UNKNOWN' },
        { pointer: '/nodes/wait1/duration', code: 'DURATION_EXCEEDS_TIMEOUT' },
        { pointer: '/nodes/tier/paths/0/when/eval', code: 'RULE_UNKNOWN_OPERATOR' },
        { pointer: '/nodes/sms/action', code: 'REF_UNKNOWN_ACTION' },
      ]),
    );
  });
});

/** [rule, failing change, expected problems, passing change] — each validator rule fails once and passes once. */
const cases: Array<[string, (j: Mutable) => void, Array<{ pointer: string; code: string }>, (j: Mutable) => void]> = [
  [
    'shape: unknown property',
    (j) => (j['colour'] = 'red'),
    [{ pointer: '/colour', code: 'SCHEMA_UNKNOWN_PROPERTY' }],
    (j) => (j['description'] = 'red'),
  ],
  [
    'shape: node type',
    (j) => (j.nodes['done'] = { type: 'finish' }),
    [{ pointer: '/nodes/done/type', code: 'SCHEMA_ENUM' }],
    (j) => (j.nodes['done'] = { type: 'end' }),
  ],
  [
    'shape: bad node id',
    (j) => (j.nodes['bad id'] = { type: 'end' }),
    [{ pointer: '/nodes/bad id', code: 'SCHEMA_UNKNOWN_PROPERTY' }],
    (j) => {
      j.nodes['good-id'] = { type: 'end' };
      j.nodes['sms'] = { type: 'action', action: 'sendSms', next: 'good-id' };
    },
  ],
  [
    'start exists',
    (j) => (j['start'] = 'missing'),
    [{ pointer: '/start', code: 'JOURNEY_START_UNKNOWN' }],
    (j) => (j['start'] = 'wait1'),
  ],
  [
    'next points to a node',
    (j) => (j.nodes['wait1'] = { type: 'wait', duration: 'PT1H', next: 'nowhere' }),
    [{ pointer: '/nodes/wait1/next', code: 'NODE_REF_UNKNOWN' }],
    (j) => (j.nodes['wait1'] = { type: 'wait', duration: 'PT1H', next: 'waitBuy' }),
  ],
  [
    'otherwise points to a node',
    (j) => ((j.nodes['tier'] as Record<string, unknown>)['otherwise'] = 'nowhere'),
    [{ pointer: '/nodes/tier/otherwise', code: 'NODE_REF_UNKNOWN' }],
    (j) => ((j.nodes['tier'] as Record<string, unknown>)['otherwise'] = 'split'),
  ],
  [
    'onError points to a node',
    (j) => ((j.nodes['email'] as Record<string, unknown>)['onError'] = 'nowhere'),
    [{ pointer: '/nodes/email/onError', code: 'NODE_REF_UNKNOWN' }],
    (j) => ((j.nodes['email'] as Record<string, unknown>)['onError'] = 'done'),
  ],
  [
    'onTimeout points to a node',
    (j) => ((j.nodes['waitBuy'] as Record<string, unknown>)['onTimeout'] = 'nowhere'),
    [{ pointer: '/nodes/waitBuy/onTimeout', code: 'NODE_REF_UNKNOWN' }],
    (j) => ((j.nodes['waitBuy'] as Record<string, unknown>)['onTimeout'] = 'tier'),
  ],
  [
    'onTimeout needs a timeout',
    (j) => delete (j.nodes['waitBuy'] as Record<string, unknown>)['timeout'],
    [{ pointer: '/nodes/waitBuy/onTimeout', code: 'EVENT_TIMEOUT_MISSING' }],
    (j) => ((j.nodes['waitBuy'] as Record<string, unknown>)['timeout'] = 'PT10M'),
  ],
  [
    'every node reachable',
    (j) => (j.nodes['orphan'] = { type: 'end' }),
    [{ pointer: '/nodes/orphan', code: 'NODE_UNREACHABLE' }],
    (j) => {
      j.nodes['orphan'] = { type: 'end' };
      j.nodes['sms'] = { type: 'action', action: 'sendSms', next: 'orphan' };
    },
  ],
  [
    'no cycles',
    (j) => (j.nodes['sms'] = { type: 'action', action: 'sendSms', next: 'wait1' }),
    [{ pointer: '/nodes/sms/next', code: 'JOURNEY_CYCLE' }],
    (j) => (j.nodes['sms'] = { type: 'action', action: 'sendSms', next: 'done' }),
  ],
  [
    'forbidden node ids',
    (j) => (j.nodes['constructor'] = { type: 'end' }),
    [{ pointer: '/nodes/constructor', code: 'NODE_ID_FORBIDDEN' }],
    (j) => {
      j.nodes['construct'] = { type: 'end' };
      j.nodes['sms'] = { type: 'action', action: 'sendSms', next: 'construct' };
    },
  ],
  [
    'entry event exists',
    (j) => (j['entry'] = { event: 'ghost' }),
    [{ pointer: '/entry/event', code: 'REF_UNKNOWN_EVENT' }],
    (j) => (j['entry'] = { event: 'purchase' }),
  ],
  [
    'waited event exists',
    (j) =>
      (j.nodes['waitBuy'] = {
        type: 'event',
        events: [{ event: 'ghost', next: 'done' }],
        timeout: 'P1D',
        onTimeout: 'tier',
      }),
    [{ pointer: '/nodes/waitBuy/events/0/event', code: 'REF_UNKNOWN_EVENT' }],
    (j) =>
      (j.nodes['waitBuy'] = {
        type: 'event',
        events: [{ event: 'purchase', next: 'done' }],
        timeout: 'P1D',
        onTimeout: 'tier',
      }),
  ],
  [
    'events.<id> path names an event',
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { var: 'events.ghost.id' } }),
    [{ pointer: '/entry/condition/var', code: 'REF_UNKNOWN_EVENT' }],
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { var: 'events.purchase.id' } }),
  ],
  [
    'action exists',
    (j) => (j.nodes['sms'] = { type: 'action', action: 'ghost', next: 'done' }),
    [{ pointer: '/nodes/sms/action', code: 'REF_UNKNOWN_ACTION' }],
    (j) => (j.nodes['sms'] = { type: 'action', action: 'sendEmail', next: 'done' }),
  ],
  [
    'actions.<nodeId> path names an action node',
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { var: 'actions.done.status' } }),
    [{ pointer: '/entry/condition/var', code: 'REF_UNKNOWN_NODE' }],
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { var: 'actions.email.status' } }),
  ],
  [
    'data source exists',
    (j) =>
      (j.nodes['tier'] = {
        type: 'condition',
        paths: [{ when: { var: 'datasources.ghost.x' }, next: 'email' }],
        otherwise: 'split',
      }),
    [{ pointer: '/nodes/tier/paths/0/when/var', code: 'REF_UNKNOWN_DATASOURCE' }],
    (j) =>
      (j.nodes['tier'] = {
        type: 'condition',
        paths: [{ when: { var: 'datasources.profile.x' }, next: 'email' }],
        otherwise: 'split',
      }),
  ],
  [
    'at most 50 nodes',
    (j) => chain(j, 44), // 7 + 44 = 51
    [{ pointer: '/nodes', code: 'JOURNEY_TOO_MANY_NODES' }],
    (j) => chain(j, 43),
  ],
  [
    'duration is ISO-8601',
    (j) => (j['timeout'] = '7 days'),
    [{ pointer: '/timeout', code: 'SCHEMA_PATTERN' }],
    (j) => (j['timeout'] = 'P1W'),
  ],
  [
    'journey timeout at most 90 days',
    (j) => (j['timeout'] = 'P91D'),
    [{ pointer: '/timeout', code: 'DURATION_TOO_LONG' }],
    (j) => (j['timeout'] = 'P90D'),
  ],
  [
    'journey timeout positive',
    (j) => (j['timeout'] = 'PT0S'),
    [{ pointer: '/timeout', code: 'DURATION_TOO_SHORT' }],
    (j) => (j['timeout'] = 'P2D'),
  ],
  [
    'wait within the journey timeout',
    (j) => (j.nodes['wait1'] = { type: 'wait', duration: 'P8D', next: 'waitBuy' }),
    [{ pointer: '/nodes/wait1/duration', code: 'DURATION_EXCEEDS_TIMEOUT' }],
    (j) => (j.nodes['wait1'] = { type: 'wait', duration: 'P7D', next: 'waitBuy' }),
  ],
  [
    'event timeout within the journey timeout',
    (j) => ((j.nodes['waitBuy'] as Record<string, unknown>)['timeout'] = 'P2W'),
    [{ pointer: '/nodes/waitBuy/timeout', code: 'DURATION_EXCEEDS_TIMEOUT' }],
    (j) => ((j.nodes['waitBuy'] as Record<string, unknown>)['timeout'] = 'P6DT23H'),
  ],
  [
    're-entrance wait at most 90 days',
    (j) => (j['reentrance'] = { allowed: true, waitPeriod: 'P1Y' }),
    [{ pointer: '/reentrance/waitPeriod', code: 'DURATION_TOO_LONG' }],
    (j) => (j['reentrance'] = { allowed: true, waitPeriod: 'P3M' }),
  ],
  [
    'time zone is IANA',
    (j) => (j['timezone'] = 'Mars/Olympus'),
    [{ pointer: '/timezone', code: 'TIMEZONE_INVALID' }],
    (j) => (j['timezone'] = 'Europe/Paris'),
  ],
  [
    'only allowed operators',
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { and: [true, { method: ['x', 'toString'] }] } }),
    [{ pointer: '/entry/condition/and/1/method', code: 'RULE_UNKNOWN_OPERATOR' }],
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { and: [true, { inLast: [{ var: 'now' }, 'P1D'] }] } }),
  ],
  [
    'no prototype key in a rule',
    (j) =>
      (j['entry'] = { event: 'cartAbandoned', condition: JSON.parse('{"if":[{"__proto__":{"x":1}},1,2]}') as unknown }),
    [{ pointer: '/entry/condition/if/0/__proto__', code: 'RULE_FORBIDDEN_KEY' }],
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { if: [{ var: 'event.proto' }, 1, 2] } }),
  ],
  [
    'no prototype in a var path',
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { var: 'event.constructor.prototype' } }),
    [{ pointer: '/entry/condition/var', code: 'RULE_FORBIDDEN_PATH' }],
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { var: 'event.constructed' } }),
  ],
  [
    'no prototype in a map element path',
    (j) =>
      (j['entry'] = { event: 'cartAbandoned', condition: { some: [{ var: 'event.items' }, { var: '__proto__' }] } }),
    [{ pointer: '/entry/condition/some/1/var', code: 'RULE_FORBIDDEN_PATH' }],
    // inside some/map/filter the data is the element, so any root is fine there
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { some: [{ var: 'event.items' }, { var: 'sku' }] } }),
  ],
  [
    'no computed var path',
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { var: { cat: ['event.', 'x'] } } }),
    [{ pointer: '/entry/condition/var', code: 'RULE_DYNAMIC_PATH' }],
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { var: ['event.x', 0] } }),
  ],
  [
    'var roots',
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { var: 'globalThis.process' } }),
    [{ pointer: '/entry/condition/var', code: 'RULE_UNKNOWN_ROOT' }],
    (j) =>
      (j['entry'] = { event: 'cartAbandoned', condition: { '<': [{ var: 'journey.enteredAt' }, { var: 'now' }] } }),
  ],
  [
    'missing paths checked too',
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { missing: ['event.a', 'event.__proto__'] } }),
    [{ pointer: '/entry/condition/missing/1', code: 'RULE_FORBIDDEN_PATH' }],
    (j) => (j['entry'] = { event: 'cartAbandoned', condition: { missing: ['event.a', 'profile.b'] } }),
  ],
  [
    'bounded rule depth',
    (j) => {
      let r: unknown = true;
      for (let i = 0; i < 100; i++) r = { '!': [r] };
      j['entry'] = { event: 'cartAbandoned', condition: r };
    },
    [],
    (j) => {
      let r: unknown = true;
      for (let i = 0; i < 20; i++) r = { '!': [r] };
      j['entry'] = { event: 'cartAbandoned', condition: r };
    },
  ],
  [
    'params are rules too',
    (j) =>
      (j.nodes['email'] = {
        type: 'action',
        action: 'sendEmail',
        params: { to: { var: 'profile.__proto__' } },
        next: 'done',
      }),
    [{ pointer: '/nodes/email/params/to/var', code: 'RULE_FORBIDDEN_PATH' }],
    (j) => (j.nodes['email'] = { type: 'action', action: 'sendEmail', params: { to: 'a@b.c' }, next: 'done' }),
  ],
  [
    'split weights positive',
    (j) =>
      (j.nodes['split'] = {
        type: 'split',
        paths: [
          { weight: 0, next: 'sms' },
          { weight: -1, next: 'done' },
        ],
      }),
    [
      { pointer: '/nodes/split/paths/0/weight', code: 'SPLIT_WEIGHT_INVALID' },
      { pointer: '/nodes/split/paths/1/weight', code: 'SPLIT_WEIGHT_INVALID' },
    ],
    (j) =>
      (j.nodes['split'] = {
        type: 'split',
        paths: [
          { weight: 0.5, next: 'sms' },
          { weight: 3, next: 'done' },
        ],
      }),
  ],
];

describe('compileJourney: one failing and one passing case per rule', () => {
  for (const [name, fail, expected, pass] of cases) {
    it(name, () => {
      const bad = problems(compileJourney(journey(fail), refs));
      if (expected.length === 0) expect(bad.map((p) => p.code)).toContain('RULE_TOO_DEEP');
      else expect(bad).toEqual(expected);
      expect(problems(compileJourney(journey(pass), refs))).toEqual([]);
    });
  }
});

describe('compileJourney: options and robustness', () => {
  it('maxNodes is configurable', () => {
    expect(problems(compileJourney(cartJourney, refs, { maxNodes: 3 }))).toEqual([
      { pointer: '/nodes', code: 'JOURNEY_TOO_MANY_NODES' },
    ]);
  });

  it('refs null skips reference checks', () => {
    const j = journey((x) => (x['entry'] = { event: 'ghost' }));
    expect(compileJourney(j, null).ok).toBe(true);
  });

  it('a non-object is one shape problem at the root', () => {
    expect(problems(compileJourney('hello', refs))).toEqual([{ pointer: '', code: 'SCHEMA_TYPE' }]);
  });

  it('a broken node does not hide graph problems elsewhere, nor cause false unreachable reports', () => {
    const r = compileJourney(
      journey((j) => {
        j.nodes['tier'] = { type: 'condition', paths: 'nope' };
        j.nodes['wait1'] = { type: 'wait', duration: 'PT1H', next: 'ghost' };
      }),
      refs,
    );
    const codes = problems(r);
    expect(codes).toContainEqual({ pointer: '/nodes/tier/paths', code: 'SCHEMA_TYPE' });
    expect(codes).toContainEqual({ pointer: '/nodes/wait1/next', code: 'NODE_REF_UNKNOWN' });
    expect(codes.map((c) => c.code)).not.toContain('NODE_UNREACHABLE');
  });

  it('the compiled journey keeps the config it came from', () => {
    const r = compileJourney(cartJourney, refs);
    expect(r.ok && r.compiled.journey).toEqual(cartJourney satisfies JourneyConfig);
  });
});

describe('compileJourney: exit criteria and goal', () => {
  it('compiles them: their events are referenced, their conditions checked, their data sources recorded', () => {
    const r = compileJourney(
      journey((j) => {
        j['exit'] = [{ event: 'purchase', condition: { '==': [{ var: 'datasources.loyalty.tier' }, 'gold'] } }];
        j['goal'] = { event: 'purchase', exit: true };
      }),
      refs,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.compiled).toMatchObject({ exitEvents: ['purchase'], goalEvent: 'purchase', exitDatasources: ['loyalty'] });
    expect(r.compiled.goalDatasources).toEqual([]);
  });

  it('reports unknown events, bad conditions and duplicates with pointers and codes', () => {
    const r = compileJourney(
      journey((j) => {
        j['exit'] = [{ event: 'nope' }, { event: 'purchase' }, { event: 'purchase' }, { event: 'purchase', x: 1 }];
        j['goal'] = { event: 'purchase', condition: { eval: ['1'] }, exit: 'yes' };
      }),
      refs,
    );
    const ps = problems(r);
    expect(ps).toContainEqual({ pointer: '/exit/0/event', code: 'REF_UNKNOWN_EVENT' });
    expect(ps).toContainEqual({ pointer: '/exit/2', code: 'EXIT_CRITERION_DUPLICATE' });
    expect(ps).toContainEqual({ pointer: '/exit/3/x', code: 'SCHEMA_UNKNOWN_PROPERTY' });
    expect(ps.some((p) => p.pointer.startsWith('/goal/condition') && p.code.startsWith('RULE_'))).toBe(true);
    const schemaCode: unknown = expect.stringMatching(/^SCHEMA_/);
    expect(ps).toContainEqual({ pointer: '/goal/exit', code: schemaCode });
  });
});
