import { describe, expect, it } from 'vitest';
import { compileJourney, type JourneyRefs } from './journey-compiler.js';
import type { JourneyConfig } from './resources.js';
import { validateCap } from './resource-validation.js';

const refs = (jumps: Record<string, string[]>): JourneyRefs => ({
  event: (id) => ({ id, name: id, recognition: { eventType: id }, identity: { namespace: 'email', path: 'e' } }),
  action: () => undefined,
  datasource: () => undefined,
  liveJumpTargets: (id) => jumps[id],
});

function journey(nodes: JourneyConfig['nodes'], extra: Partial<JourneyConfig> = {}): JourneyConfig {
  return { id: 'a', name: 'A', namespace: 'email', entry: { event: 'signup' }, start: 'n', nodes, ...extra };
}

const codes = (r: ReturnType<typeof compileJourney>) => (r.ok ? [] : r.errors.map((e) => `${e.pointer} ${e.code}`));

describe('journey governance fields', () => {
  it('a jump to a live journey compiles and is listed in references', () => {
    const r = compileJourney(journey({ n: { type: 'jump', journey: 'b' } }), refs({ b: [] }));
    expect(codes(r)).toEqual([]);
    expect(r.ok && r.compiled.references.journeys).toEqual(['b']);
  });

  it('refuses jumps to itself, to a journey that is not live, and cycles through other journeys', () => {
    expect(codes(compileJourney(journey({ n: { type: 'jump', journey: 'a' } }), refs({})))).toEqual([
      '/nodes/n/journey JUMP_CYCLE',
    ]);
    expect(codes(compileJourney(journey({ n: { type: 'jump', journey: 'z' } }), refs({})))).toEqual([
      '/nodes/n/journey JUMP_TARGET_NOT_LIVE',
    ]);
    const cyc = refs({ b: ['c'], c: ['a'] });
    expect(codes(compileJourney(journey({ n: { type: 'jump', journey: 'b' } }), cyc))).toEqual([
      '/nodes/n/journey JUMP_CYCLE',
    ]);
  });

  it('updateProfile: needs set or remove, refuses prototype paths, checks its rules', () => {
    expect(
      codes(compileJourney(journey({ n: { type: 'updateProfile', next: 'e' }, e: { type: 'end' } }), null)),
    ).toEqual(['/nodes/n PROFILE_UPDATE_EMPTY']);
    const bad = journey({
      n: {
        type: 'updateProfile',
        set: { 'x.__proto__.y': 1, ok: { nope: [1] } },
        remove: ['constructor'],
        next: 'e',
      },
      e: { type: 'end' },
    });
    expect(codes(compileJourney(bad, null))).toEqual([
      '/nodes/n/set/x.__proto__.y PROFILE_PATH_INVALID',
      '/nodes/n/set/ok/nope RULE_UNKNOWN_OPERATOR',
      '/nodes/n/remove/0 PROFILE_PATH_INVALID',
    ]);
  });

  it('entry window: endAt must follow startAt; both must be date-times', () => {
    const base = journey({ n: { type: 'end' } });
    expect(
      codes(compileJourney({ ...base, startAt: '2026-02-01T00:00:00Z', endAt: '2026-01-01T00:00:00Z' }, null)),
    ).toEqual(['/endAt ENTRY_WINDOW_INVALID']);
    expect(codes(compileJourney({ ...base, startAt: 'tomorrow' }, null))).toEqual(['/startAt SCHEMA_FORMAT']);
    expect(codes(compileJourney({ ...base, maxEntriesPerDay: 0 }, null))).toEqual(['/maxEntriesPerDay SCHEMA_RANGE']);
  });
});

describe('frequency cap resource', () => {
  it('accepts a cap and reports every problem with a pointer', () => {
    expect(validateCap({ id: 'email3', max: 3, window: 'P7D', channels: ['email'] })).toEqual([]);
    const p = validateCap({ id: 'x', max: 0, window: 'PT0S', channels: ['fax'] }).map((e) => `${e.pointer} ${e.code}`);
    expect(p).toContain('/max SCHEMA_RANGE');
    expect(p).toContain('/window DURATION_TOO_SHORT');
    expect(p.some((s) => s.startsWith('/channels/0'))).toBe(true);
  });

  it('audience entry: audience + schedule (once or cron), exactly one of event and audience, profile only', () => {
    const end: JourneyConfig['nodes'] = { n: { type: 'end' } };
    const tier = { '==': [{ var: 'profile.tier' }, 'gold'] };
    const ok = compileJourney(journey(end, { entry: { audience: tier, schedule: '0 9 * * 1-5' } }), refs({}));
    expect(codes(ok)).toEqual([]);
    expect(ok.ok && ok.compiled.audience).toEqual({ rule: tier, schedule: '0 9 * * 1-5' });
    expect(ok.ok && ok.compiled.entryEvent).toBeUndefined();
    expect(codes(compileJourney(journey(end, { entry: { audience: tier, schedule: 'once' } }), refs({})))).toEqual([]);
    const bad = (entry: JourneyConfig['entry']) => codes(compileJourney(journey(end, { entry }), refs({})));
    expect(bad({ event: 'signup', audience: tier, schedule: 'once' })).toEqual(['/entry ENTRY_INVALID']);
    expect(bad({})).toEqual(['/entry ENTRY_INVALID']);
    expect(bad({ audience: tier })).toEqual(['/entry/schedule ENTRY_INVALID']);
    expect(bad({ audience: tier, schedule: 'once', condition: true })).toEqual(['/entry/condition ENTRY_INVALID']);
    expect(bad({ event: 'signup', schedule: 'once' })).toEqual(['/entry/schedule ENTRY_INVALID']);
    expect(bad({ audience: tier, schedule: '61 * * * *' })).toEqual(['/entry/schedule AUDIENCE_SCHEDULE_INVALID']);
    expect(bad({ audience: tier, schedule: 'daily' })).toEqual(['/entry/schedule AUDIENCE_SCHEDULE_INVALID']);
    expect(bad({ audience: { '==': [{ var: 'datasources.crm.tier' }, 'gold'] }, schedule: 'once' })).toContain(
      '/entry/audience ENTRY_INVALID',
    );
  });
});
