/**
 * The json-logic dialect of journeys: which operators a rule may use, and what data it sees.
 * The checks (rule-check.ts, run by the journey compiler and the resource validators) reject any other operator and
 * any key that reaches into prototypes; the evaluator (rule-evaluator.ts) implements the custom time helpers listed
 * here (and only those).
 */

/** json-logic-js' standard operators that journeys may use. */
export const STANDARD_OPERATORS = [
  'var',
  'missing',
  'missing_some',
  'if',
  '?:',
  '==',
  '===',
  '!=',
  '!==',
  '!',
  '!!',
  'or',
  'and',
  '>',
  '>=',
  '<',
  '<=',
  'max',
  'min',
  '+',
  '-',
  '*',
  '/',
  '%',
  'map',
  'filter',
  'reduce',
  'all',
  'none',
  'some',
  'merge',
  'in',
  'cat',
  'substr',
] as const;

/**
 * Custom time helpers (all times are epoch milliseconds; `tz` is an IANA zone, default the journey's timezone):
 * - `toEpoch`: [isoString | epochMs] → epoch ms (null when unparsable)
 * - `addDuration`: [time, isoDuration] → epoch ms
 * - `durationMs`: [isoDuration] → ms
 * - `inLast`: [time, isoDuration] → true when now − duration ≤ time ≤ now
 * - `hourOfDay`: [time, tz?] → 0–23 in that zone
 * - `dayOfWeek`: [time, tz?] → 1 (Monday) … 7 (Sunday) in that zone
 * - `startOfDay`: [time, tz?] → epoch ms of local midnight in that zone
 * - `nextLocalTime`: [time, "HH:MM", tz?] → epoch ms of the next such local wall-clock time after `time`
 */
export const TIME_OPERATORS = [
  'toEpoch',
  'addDuration',
  'durationMs',
  'inLast',
  'hourOfDay',
  'dayOfWeek',
  'startOfDay',
  'nextLocalTime',
] as const;

export const ALLOWED_OPERATORS: ReadonlySet<string> = new Set<string>([...STANDARD_OPERATORS, ...TIME_OPERATORS]);

/** Keys that must never appear in a rule, a `var` path or a template path. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Top-level names a rule's `var` may start with (PRODUCT.md): event, events.<eventConfigId>, profile,
 * datasources.<id>, actions.<nodeId>, journey, now.
 */
export const RULE_DATA_ROOTS = ['event', 'events', 'profile', 'datasources', 'actions', 'journey', 'now'] as const;
