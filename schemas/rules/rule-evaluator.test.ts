import { describe, expect, it } from 'vitest';
import jsonLogicShared from 'json-logic-js';
import { TIME_OPERATORS } from './dialect.js';
import { scanRule } from './rule-check.js';
import { evaluateRule, parseDuration, testRule, type RuleData } from './rule-evaluator.js';

/** The codes the one check reports for `rule`. */
const checkCodes = (rule: unknown) => scanRule(rule, '').problems.map((p) => p.code);

const NOW = Date.UTC(2026, 2, 10, 14, 30); // Tue 10 March 2026 14:30 UTC
function data(extra: Partial<RuleData> = {}): RuleData {
  return {
    event: { xdm: { commerce: { order: { total: 120 } } }, timestamp: '2026-03-10T14:00:00Z' },
    events: { signup: { timestamp: '2026-03-01T09:00:00Z' } },
    profile: { tier: 'gold', birthday: '1990-03-10' },
    datasources: { loyalty: { points: 900 } },
    actions: { sendEmail: { status: 'ok' } },
    journey: { id: 'welcome', version: 2 },
    now: NOW,
    ...extra,
  };
}

describe('rules: json-logic over journey data', () => {
  it('reads every data root', () => {
    expect(testRule({ '>': [{ var: 'event.xdm.commerce.order.total' }, 100] }, data())).toBe(true);
    expect(testRule({ '==': [{ var: 'profile.tier' }, 'gold'] }, data())).toBe(true);
    expect(evaluateRule({ var: 'datasources.loyalty.points' }, data())).toBe(900);
    expect(evaluateRule({ var: 'actions.sendEmail.status' }, data())).toBe('ok');
    expect(evaluateRule({ var: 'journey.version' }, data())).toBe(2);
    expect(evaluateRule({ var: 'now' }, data())).toBe(NOW);
    expect(evaluateRule({ var: 'events.signup.timestamp' }, data())).toBe('2026-03-01T09:00:00Z');
  });

  it('implements the time helpers with now from the data, not the system clock', () => {
    const d = data();
    expect(evaluateRule({ toEpoch: ['2026-03-01T09:00:00Z'] }, d)).toBe(Date.UTC(2026, 2, 1, 9));
    expect(evaluateRule({ toEpoch: ['garbage'] }, d)).toBeNull();
    expect(evaluateRule({ durationMs: ['P1DT2H'] }, d)).toBe(26 * 3600_000);
    expect(evaluateRule({ addDuration: [{ var: 'now' }, 'PT5M'] }, d)).toBe(NOW + 300_000);
    expect(testRule({ inLast: [{ var: 'event.timestamp' }, 'PT1H'] }, d)).toBe(true);
    expect(testRule({ inLast: [{ var: 'events.signup.timestamp' }, 'P7D'] }, d)).toBe(false);
    expect(testRule({ inLast: [{ var: 'events.signup.timestamp' }, 'P10D'] }, d)).toBe(true);
    // a time in the future is not "in the last" anything
    expect(testRule({ inLast: [NOW + 1000, 'P10D'] }, d)).toBe(false);
  });

  it('computes local hour, weekday, midnight and next local time in the given or journey time zone', () => {
    const d = data();
    expect(evaluateRule({ hourOfDay: [{ var: 'now' }] }, d, 'UTC')).toBe(14);
    expect(evaluateRule({ hourOfDay: [{ var: 'now' }] }, d, 'America/New_York')).toBe(10); // EDT since 8 March
    expect(evaluateRule({ hourOfDay: [{ var: 'now' }, 'Asia/Tokyo'] }, d, 'UTC')).toBe(23);
    expect(evaluateRule({ dayOfWeek: [{ var: 'now' }] }, d)).toBe(2);
    expect(evaluateRule({ dayOfWeek: [{ var: 'now' }, 'Pacific/Kiritimati'] }, d)).toBe(3); // UTC+14: Wednesday
    expect(evaluateRule({ startOfDay: [{ var: 'now' }] }, d, 'Europe/Paris')).toBe(Date.UTC(2026, 2, 9, 23));
    expect(evaluateRule({ nextLocalTime: [{ var: 'now' }, '09:00'] }, d, 'Europe/Paris')).toBe(
      Date.UTC(2026, 2, 11, 8),
    );
    expect(evaluateRule({ nextLocalTime: [{ var: 'now' }, '16:00'] }, d, 'Europe/Paris')).toBe(
      Date.UTC(2026, 2, 10, 15),
    );
  });

  it('handles daylight-saving changes: the gap moves forward, days are not 24 h', () => {
    // Europe/Paris springs forward on 29 March 2026 at 02:00 → 03:00.
    const before = Date.UTC(2026, 2, 28, 12);
    const d = data({ now: before });
    expect(evaluateRule({ nextLocalTime: [{ var: 'now' }, '09:00'] }, d, 'Europe/Paris')).toBe(
      Date.UTC(2026, 2, 29, 7), // 09:00 CEST
    );
    // 02:30 does not exist that night: the next 02:30 resolves to 03:30 CEST.
    expect(evaluateRule({ nextLocalTime: [{ var: 'now' }, '02:30'] }, d, 'Europe/Paris')).toBe(
      Date.UTC(2026, 2, 29, 1, 30),
    );
    const startOfSunday = evaluateRule({ startOfDay: [Date.UTC(2026, 2, 29, 12)] }, d, 'Europe/Paris') as number;
    const startOfMonday = evaluateRule({ startOfDay: [Date.UTC(2026, 2, 30, 12)] }, d, 'Europe/Paris') as number;
    expect(startOfMonday - startOfSunday).toBe(23 * 3600_000);
  });

  it('refuses operators outside the dialect and prototype paths (in the one check), with a stable code', () => {
    expect(checkCodes({ method: [{ var: 'profile' }, 'toString'] })).toEqual(['RULE_UNKNOWN_OPERATOR']);
    expect(checkCodes({ var: 'profile.__proto__.x' })).toEqual(['RULE_FORBIDDEN_PATH']);
    expect(checkCodes({ var: 'profile.constructor' })).toEqual(['RULE_FORBIDDEN_PATH']);
    // the evaluator does not check again, but has no `method` at all: a rule that skipped the check cannot call one
    expect(() => evaluateRule({ method: [{ var: 'profile' }, 'toString'] }, data())).toThrow(
      expect.objectContaining({ code: 'RULE_EVAL_FAILED' }),
    );
    expect(() => evaluateRule({ addDuration: [1, 'five minutes'] }, data())).toThrow(
      expect.objectContaining({ code: 'RULE_BAD_DURATION' }),
    );
    expect(() => evaluateRule({ hourOfDay: [1, 'Mars/Olympus'] }, data())).toThrow(
      expect.objectContaining({ code: 'RULE_EVAL_FAILED' }),
    );
    expect(checkCodes({ and: [{ '==': [1, 1] }, { hourOfDay: [{ var: 'now' }] }] })).toEqual([]);
  });

  it('gets its private instance from the patched factory (no module cache tricks)', () => {
    const create = (jsonLogicShared as { createInstance?: () => typeof jsonLogicShared }).createInstance;
    expect(typeof create).toBe('function');
    const other = create!();
    other.add_operation('onlyHere', () => 1);
    expect(() => void jsonLogicShared.apply({ onlyHere: [] } as never, {})).toThrow();
  });

  it('keeps the time helpers private to the engine instance', () => {
    for (const op of TIME_OPERATORS) expect(() => void jsonLogicShared.apply({ [op]: [1] } as never, {})).toThrow();
  });

  it('lists the paths a rule reads', () => {
    const rule = { and: [{ var: 'datasources.loyalty.points' }, { '>': [{ var: ['profile.age', 0] }, 18] }] };
    expect(scanRule(rule, '').paths.map((p) => p.path)).toEqual(['datasources.loyalty.points', 'profile.age']);
  });

  it('parses ISO durations', () => {
    expect(parseDuration('P30D')).toBe(30 * 86_400_000);
    expect(parseDuration('PT0.5S')).toBe(500);
    expect(parseDuration('P1W')).toBe(7 * 86_400_000);
    expect(() => parseDuration('P')).toThrow();
    expect(() => parseDuration('PT')).toThrow();
  });
});
