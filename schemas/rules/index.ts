/**
 * schemas/rules/ — the json-logic rules of journeys in one place: the dialect (dialect.ts: operators, data roots,
 * forbidden keys), its one check (rule-check.ts: `scanRule`, run by the journey compiler and the resource
 * validators), and the evaluator (rule-evaluator.ts with its time helpers, time zones and work budget) that runs
 * what the check passed without checking it again. Evaluation fails with a plain coded `RuleError`; the engine
 * (processors/journey/rules.ts) re-codes it as a terminal error of its registry.
 */
export * from './dialect.js';
export { scanRule, refsUnder, MAX_RULE_DEPTH, type RuleScan, type RulePath } from './rule-check.js';
export {
  evaluateRule,
  evaluateWith,
  testRule,
  truthy,
  toEpoch,
  parseDuration,
  type RuleData,
} from './rule-evaluator.js';
export { DEFAULT_RULE_BUDGET, RULE_BUDGET_EXCEEDED, isBudgetExceeded, type RuleBudget } from './rule-budget.js';
export { RuleError, type RuleCode } from './rule-error.js';
export { localFields, zonedEpoch, zoneOffset, isValidTimeZone, type LocalFields } from './time-zone.js';
