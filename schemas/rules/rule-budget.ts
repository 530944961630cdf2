/**
 * Budgets of json-logic evaluation: a rule that passed the save-time checks can still be made to do unbounded
 * work on its input (`reduce` with `merge` of the accumulator doubles an array per element: 40 elements are 2^40
 * items). Every operation applied during one evaluation is counted, and the arrays and strings that operations
 * build are measured as they are returned; past a limit the evaluation throws `RULE_BUDGET_EXCEEDED` (terminal),
 * so the caller dead-letters the event or sends the instance down its error path — never an out-of-memory crash.
 *
 * The meter wraps the evaluator's `apply`, through which json-logic-js recurses for every node of a rule.
 */
import { RuleError } from './rule-error.js';

/** Limits of one rule evaluation (docs/security.md → limits: json-logic evaluation). */
export interface RuleBudget {
  /** Operations applied (every node of the rule, every element a map/filter/reduce visits). */
  readonly maxOps: number;
  /** Longest array an operation may build. */
  readonly maxArrayLength: number;
  /** Longest string an operation may build (UTF-16 code units). */
  readonly maxStringLength: number;
  /** Array items plus string code units built by all operations of the evaluation together. */
  readonly maxBuilt: number;
}

export const DEFAULT_RULE_BUDGET: RuleBudget = Object.freeze({
  maxOps: 100_000,
  maxArrayLength: 100_000,
  maxStringLength: 1_048_576,
  maxBuilt: 4_000_000,
});

export const RULE_BUDGET_EXCEEDED = 'RULE_BUDGET_EXCEEDED';

/** Operations whose result is new memory (not a reference into the data, like `var`, `if` or `reduce`). */
const BUILDERS: ReadonlySet<string> = new Set(['merge', 'map', 'filter', 'cat', 'substr', 'missing', 'missing_some']);

interface Meter {
  readonly budget: RuleBudget;
  ops: number;
  built: number;
}

let meter: Meter | undefined;

/**
 * True when `err` is the budget error, as this module throws it or as the engine re-codes it (callers that
 * swallow rule errors must not swallow this one).
 */
export function isBudgetExceeded(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === RULE_BUDGET_EXCEEDED;
}

function over(what: string): never {
  throw new RuleError(RULE_BUDGET_EXCEEDED, `${RULE_BUDGET_EXCEEDED}: rule evaluation ${what}`);
}

function measure(m: Meter, op: string, out: unknown): void {
  let size: number;
  if (Array.isArray(out)) {
    size = out.length;
    if (size > m.budget.maxArrayLength) over(`built an array of ${size} items with "${op}"`);
  } else if (typeof out === 'string') {
    size = out.length;
    if (size > m.budget.maxStringLength) over(`built a string of ${size} characters with "${op}"`);
  } else return;
  m.built += size;
  if (m.built > m.budget.maxBuilt) over(`built more than ${m.budget.maxBuilt} items and characters`);
}

/** The single operator of a rule node, or undefined for literals and arrays. */
function operatorOf(rule: unknown): string | undefined {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) return undefined;
  const keys = Object.keys(rule);
  return keys.length === 1 ? keys[0] : undefined;
}

type Apply = (rule: unknown, data: unknown) => unknown;

/** Replaces `logic.apply` by a metered one (call once on a private json-logic instance). */
export function meterEvaluator(logic: { apply: Apply }): void {
  const inner = logic.apply;
  logic.apply = (rule: unknown, data: unknown): unknown => {
    const m = meter;
    if (!m) return inner(rule, data);
    if (++m.ops > m.budget.maxOps) over(`took more than ${m.budget.maxOps} operations`);
    const out = inner(rule, data);
    const op = operatorOf(rule);
    if (Array.isArray(rule) || (op !== undefined && BUILDERS.has(op))) measure(m, op ?? 'array', out);
    return out;
  };
}

/** Runs `fn` (one synchronous evaluation) under `budget`; nested runs get their own meter. */
export function withBudget<T>(budget: RuleBudget, fn: () => T): T {
  const outer = meter;
  meter = { budget, ops: 0, built: 0 };
  try {
    return fn();
  } finally {
    meter = outer;
  }
}
