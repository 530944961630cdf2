/**
 * json-logic evaluation for journeys. A private json-logic-js instance (made by the factory our patch exposes, so
 * other users of the package never see our operators) carries the custom time helpers of dialect.ts
 * (TIME_OPERATORS); `now` and the default time zone come from the evaluation, i.e. from the injected Clock and
 * the journey, never from the system clock.
 *
 * Validated once: a rule reaches the evaluator only after `scanRule` (rule-check.ts) passed it — the journey
 * compiler checks every journey rule and the resource validators every recognition and identity rule, and the
 * ConfigView the engine reads applies nothing else. So the evaluator does not check the dialect again; what it
 * still guards at run time is what no static check can bound: the work a rule does on its data (rule-budget.ts),
 * and json-logic's `method` operator, which this instance does not have at all.
 */
import jsonLogicModule from 'json-logic-js';
import { parseDurationMs } from '../duration.js';
import { DEFAULT_RULE_BUDGET, meterEvaluator, withBudget, type RuleBudget } from './rule-budget.js';
import { RuleError } from './rule-error.js';
import { simpleRule } from './simple-rule.js';
import { localFields, zonedEpoch } from './time-zone.js';

type JsonLogic = typeof jsonLogicModule;

/**
 * A private instance from the factory that patches/json-logic-js+2.0.5.patch exposes (applied by the root
 * postinstall, like the kafkajs patch). Without the patch there is no safe way to get one: refuse to start.
 */
function privateJsonLogic(): JsonLogic {
  const create = (jsonLogicModule as JsonLogic & { createInstance?: () => JsonLogic }).createInstance;
  if (typeof create !== 'function') {
    throw new RuleError(
      'RULE_ENGINE_UNPATCHED',
      'json-logic-js is not patched (patches/json-logic-js+2.0.5.patch): run `npm ci` in the engine directory (its postinstall applies the patch), or `npx patch-package` after an install with --ignore-scripts',
    );
  }
  return create();
}

const logic = privateJsonLogic();
// `method` calls arbitrary methods on data; journeys may never use it.
logic.rm_operation('method');
// every evaluation runs under a budget of operations and built sizes (rule-budget.ts)
meterEvaluator(logic as unknown as Parameters<typeof meterEvaluator>[0]);

/** What a rule sees (PRODUCT.md → json-logic data). */
export interface RuleData {
  readonly event?: unknown;
  readonly events: Readonly<Record<string, unknown>>;
  readonly profile: unknown;
  readonly datasources: Readonly<Record<string, unknown>>;
  readonly actions: Readonly<Record<string, unknown>>;
  readonly journey: Readonly<Record<string, unknown>>;
  /** Epoch ms from the injected clock. */
  readonly now: number;
}

interface EvalScope {
  readonly now: number;
  readonly timezone: string;
}
// Evaluation is synchronous, so one module-level scope is enough; operators nested in map/filter see it too.
let scope: EvalScope | undefined;

function current(): EvalScope {
  if (!scope) throw new RuleError('RULE_EVAL_FAILED', 'time operator used outside a rule evaluation');
  return scope;
}

/**
 * ISO-8601 durations for rules evaluated at run time (`addDuration`, `inLast`, `durationMs`), with the same
 * fixed-length units as the journey compiler (../duration.ts); throws `RULE_BAD_DURATION` when it is not one.
 */
export function parseDuration(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new RuleError('RULE_BAD_DURATION', `not an ISO-8601 duration: ${JSON.stringify(text)}`);
  return ms;
}

/** Epoch ms of an ISO string or a number; null when it is neither. */
export function toEpoch(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    if (Number.isFinite(n) && /^\d+$/.test(value.trim())) return n;
    const t = Date.parse(value);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

const zoneOf = (tz: unknown): string => (typeof tz === 'string' && tz !== '' ? tz : current().timezone);

function nextLocalTime(time: unknown, hhmm: unknown, tz?: unknown): number | null {
  const t = toEpoch(time);
  const m = typeof hhmm === 'string' ? /^(\d{1,2}):(\d{2})$/.exec(hhmm) : null;
  if (t === null || !m) return null;
  const zone = zoneOf(tz);
  const f = localFields(t, zone);
  const h = Number(m[1]);
  const min = Number(m[2]);
  for (let addDays = 0; addDays < 3; addDays++) {
    const candidate = zonedEpoch(f.year, f.month, f.day + addDays, h, min, zone);
    if (candidate > t) return candidate;
  }
  return null;
}

const TIME_OPS: Readonly<Record<string, (...args: unknown[]) => unknown>> = {
  toEpoch: (v) => toEpoch(v),
  durationMs: (d) => parseDuration(String(d)),
  addDuration: (time, d) => {
    const t = toEpoch(time);
    return t === null ? null : t + parseDuration(String(d));
  },
  inLast: (time, d) => {
    const t = toEpoch(time);
    const now = current().now;
    return t !== null && now - parseDuration(String(d)) <= t && t <= now;
  },
  hourOfDay: (time, tz) => {
    const t = toEpoch(time);
    return t === null ? null : localFields(t, zoneOf(tz)).hour;
  },
  dayOfWeek: (time, tz) => {
    const t = toEpoch(time);
    return t === null ? null : localFields(t, zoneOf(tz)).weekday;
  },
  startOfDay: (time, tz) => {
    const t = toEpoch(time);
    if (t === null) return null;
    const zone = zoneOf(tz);
    const f = localFields(t, zone);
    return zonedEpoch(f.year, f.month, f.day, 0, 0, zone);
  },
  nextLocalTime,
};
for (const [name, fn] of Object.entries(TIME_OPS)) logic.add_operation(name, fn);

/**
 * Evaluates `rule` (one `scanRule` passed) against any `data` (e.g. a raw event payload) with `now` and the default
 * time zone given. Throws a RuleError: `RULE_EVAL_FAILED` for a rule that fails at run time (an operator this
 * instance does not have included), `RULE_BAD_DURATION` for a time helper given no ISO duration, and
 * `RULE_BUDGET_EXCEEDED` for one that works past `at.budget` (default DEFAULT_RULE_BUDGET).
 */
export function evaluateWith(
  rule: unknown,
  data: unknown,
  at: { readonly now: number; readonly timezone: string; readonly budget?: RuleBudget },
) {
  const budget = at.budget ?? DEFAULT_RULE_BUDGET;
  // most rules are a few comparisons: compiled once, same results, no meter needed (simple-rule.ts)
  const simple = simpleRule(rule);
  if (simple !== undefined && simple.nodes <= budget.maxOps) {
    try {
      return simple.run(data);
    } catch (err) {
      throw new RuleError('RULE_EVAL_FAILED', `rule failed: ${(err as Error).message}`, { cause: err });
    }
  }
  const outer = scope;
  scope = { now: at.now, timezone: at.timezone };
  try {
    return withBudget(budget, (): unknown => logic.apply(rule as Parameters<JsonLogic['apply']>[0], data));
  } catch (err) {
    if (err instanceof RuleError) throw err;
    throw new RuleError('RULE_EVAL_FAILED', `rule failed: ${(err as Error).message}`, { cause: err });
  } finally {
    scope = outer;
  }
}

/** Evaluates `rule` against journey data; `timezone` is the default zone of the time helpers. */
export function evaluateRule(rule: unknown, data: RuleData, timezone = 'UTC'): unknown {
  return evaluateWith(rule, data, { now: data.now, timezone });
}

/** json-logic truthiness (empty arrays are false). */
export function truthy(value: unknown): boolean {
  return logic.truthy(value);
}

/** Evaluates a condition rule to a boolean. */
export function testRule(rule: unknown, data: RuleData, timezone = 'UTC'): boolean {
  return truthy(evaluateRule(rule, data, timezone));
}
