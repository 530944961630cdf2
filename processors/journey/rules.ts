/**
 * The engine's door to the rules of schemas/rules/ (dialect, checks and evaluator live there, together): the same
 * evaluator, with what it throws turned into terminal errors of processors' registry (RULE_EVAL_FAILED,
 * RULE_BAD_DURATION, RULE_BUDGET_EXCEEDED), so a failing rule dead-letters its event or sends the instance down its
 * error path like any other terminal error of a step.
 */
import {
  RuleError,
  evaluateRule as evaluateChecked,
  evaluateWith as evaluateCheckedWith,
  truthy,
  type RuleData,
} from '../../schemas/index.js';
import { processorCodes } from '../codes.js';

/** A RuleError re-coded as processors' terminal error; anything else as it is. */
function recoded(err: unknown): unknown {
  return err instanceof RuleError ? processorCodes.error(err.code, err.message, { cause: err }) : err;
}

// (try/catch in each function, not a shared wrapper taking a closure: these run several times per event)

/** schemas' `evaluateWith` (see there), failing with a terminal error of processors/codes.ts. */
export function evaluateWith(rule: unknown, data: unknown, at: Parameters<typeof evaluateCheckedWith>[2]): unknown {
  try {
    return evaluateCheckedWith(rule, data, at);
  } catch (err) {
    throw recoded(err);
  }
}

/** Evaluates `rule` against journey data; `timezone` is the default zone of the time helpers. */
export function evaluateRule(rule: unknown, data: RuleData, timezone = 'UTC'): unknown {
  try {
    return evaluateChecked(rule, data, timezone);
  } catch (err) {
    throw recoded(err);
  }
}

/** Evaluates a condition rule to a boolean. */
export function testRule(rule: unknown, data: RuleData, timezone = 'UTC'): boolean {
  return truthy(evaluateRule(rule, data, timezone));
}

export { truthy };
export { toEpoch, isBudgetExceeded, type RuleData } from '../../schemas/index.js';
