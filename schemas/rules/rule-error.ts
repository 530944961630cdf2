/**
 * What rule evaluation throws. schemas/ depends on no other folder, so this is a plain coded error; the caller that
 * runs rules in the engine (processors/journey/rules.ts) turns it into a terminal error of its registry (the codes
 * are documented in processors/codes.ts and docs/errors.md). Every rule error is terminal: evaluating the same rule
 * on the same data fails the same way.
 */

/** The codes of rule evaluation. */
export type RuleCode = 'RULE_EVAL_FAILED' | 'RULE_BUDGET_EXCEEDED' | 'RULE_BAD_DURATION' | 'RULE_ENGINE_UNPATCHED';

export class RuleError extends Error {
  override readonly name = 'RuleError';
  constructor(
    readonly code: RuleCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
