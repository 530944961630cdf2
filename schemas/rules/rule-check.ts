/**
 * Static checks of json-logic rules (journey conditions, waits, params; event recognition and identity rules):
 * only ALLOWED_OPERATORS, no key or `var` path that reaches a prototype, `var` roots among RULE_DATA_ROOTS, bounded
 * nesting. Also collects the data paths a rule reads, so the compiler knows which data sources a node needs.
 */
import { ALLOWED_OPERATORS, FORBIDDEN_KEYS, RULE_DATA_ROOTS } from './dialect.js';
import { pointer, type ConfigProblem } from '../problems.js';

/** Deepest rule nesting accepted; deeper rules are rejected (and would risk the evaluator's stack). */
export const MAX_RULE_DEPTH = 64;

const ROOTS: ReadonlySet<string> = new Set(RULE_DATA_ROOTS);
/** Operators whose second argument is evaluated with each array element as data (a new `var` scope). */
const SCOPED_OPERATORS: ReadonlySet<string> = new Set(['map', 'filter', 'all', 'none', 'some', 'reduce']);

export interface RuleScan {
  readonly problems: ConfigProblem[];
  /** `var`/`missing` paths read from the journey data (not from map/filter/reduce element scopes). */
  readonly paths: RulePath[];
}

/** A data path a rule reads, with the pointer of the `var` (or `missing`) argument naming it. */
export interface RulePath {
  readonly path: string;
  readonly pointer: string;
}

interface Ctx {
  readonly scan: RuleScan;
  readonly checkRoots: boolean;
}

function splitPath(path: string | number): string[] {
  return String(path).split('.');
}

function checkPath(path: string | number, ptr: string, scoped: boolean, ctx: Ctx): void {
  const segs = splitPath(path);
  const bad = segs.find((s) => FORBIDDEN_KEYS.has(s));
  if (bad !== undefined) {
    ctx.scan.problems.push({ pointer: ptr, code: 'RULE_FORBIDDEN_PATH', message: `path "${path}" uses "${bad}"` });
    return;
  }
  if (scoped || path === '') return;
  const root = segs[0] ?? '';
  if (ctx.checkRoots && !ROOTS.has(root)) {
    ctx.scan.problems.push({
      pointer: ptr,
      code: 'RULE_UNKNOWN_ROOT',
      message: `path "${path}" must start with one of: ${RULE_DATA_ROOTS.join(', ')}`,
    });
    return;
  }
  ctx.scan.paths.push({ path: String(path), pointer: ptr });
}

function scanVar(arg: unknown, ptr: string, scoped: boolean, depth: number, ctx: Ctx): void {
  const [path, ...defaults] = Array.isArray(arg) ? (arg as unknown[]) : [arg];
  const pathPtr = Array.isArray(arg) ? pointer(ptr, 0) : ptr;
  if (typeof path === 'string' || typeof path === 'number') checkPath(path, pathPtr, scoped, ctx);
  else if (path !== undefined && path !== null)
    ctx.scan.problems.push({
      pointer: pathPtr,
      code: 'RULE_DYNAMIC_PATH',
      message: 'a var path must be a literal string (computed paths could reach prototypes)',
    });
  defaults.forEach((d, i) => walk(d, pointer(ptr, i + 1), scoped, depth + 1, ctx));
}

function scanMissing(op: string, arg: unknown, ptr: string, scoped: boolean, depth: number, ctx: Ctx): void {
  const list: unknown = op === 'missing_some' && Array.isArray(arg) ? (arg as unknown[])[1] : arg;
  const listPtr = op === 'missing_some' ? pointer(ptr, 1) : ptr;
  if (op === 'missing_some' && Array.isArray(arg)) walk((arg as unknown[])[0], pointer(ptr, 0), scoped, depth + 1, ctx);
  const items = Array.isArray(list) ? (list as unknown[]) : [list];
  items.forEach((item, i) => {
    const p = Array.isArray(list) ? pointer(listPtr, i) : listPtr;
    if (typeof item === 'string' || typeof item === 'number') checkPath(item, p, scoped, ctx);
    else walk(item, p, scoped, depth + 1, ctx);
  });
}

function scanOperator(op: string, arg: unknown, ptr: string, scoped: boolean, depth: number, ctx: Ctx): void {
  if (op === 'var') return scanVar(arg, ptr, scoped, depth, ctx);
  if (op === 'missing' || op === 'missing_some') return scanMissing(op, arg, ptr, scoped, depth, ctx);
  if (SCOPED_OPERATORS.has(op) && Array.isArray(arg)) {
    (arg as unknown[]).forEach((a, i) => walk(a, pointer(ptr, i), scoped || i === 1, depth + 1, ctx));
    return;
  }
  walk(arg, ptr, scoped, depth + 1, ctx);
}

function walk(rule: unknown, ptr: string, scoped: boolean, depth: number, ctx: Ctx): void {
  if (depth > MAX_RULE_DEPTH) {
    ctx.scan.problems.push({ pointer: ptr, code: 'RULE_TOO_DEEP', message: `nesting deeper than ${MAX_RULE_DEPTH}` });
    return;
  }
  if (Array.isArray(rule)) {
    rule.forEach((r, i) => walk(r, pointer(ptr, i), scoped, depth + 1, ctx));
    return;
  }
  if (rule === null || typeof rule !== 'object') return;
  const keys = Object.keys(rule);
  for (const k of keys.filter((key) => FORBIDDEN_KEYS.has(key)))
    ctx.scan.problems.push({
      pointer: pointer(ptr, k),
      code: 'RULE_FORBIDDEN_KEY',
      message: `key "${k}" is not allowed`,
    });
  const safe = keys.filter((k) => !FORBIDDEN_KEYS.has(k));
  const record = rule as Record<string, unknown>;
  if (keys.length !== 1) {
    // json-logic treats a multi-key object as a literal: nothing evaluates inside, but prototype keys still matter
    for (const k of safe) walkLiteral(record[k], pointer(ptr, k), depth + 1, ctx);
    return;
  }
  const op = safe[0];
  if (op === undefined) return;
  if (!ALLOWED_OPERATORS.has(op)) {
    ctx.scan.problems.push({
      pointer: pointer(ptr, op),
      code: 'RULE_UNKNOWN_OPERATOR',
      message: `unknown operator "${op}"`,
    });
    return;
  }
  scanOperator(op, record[op], pointer(ptr, op), scoped, depth, ctx);
}

function walkLiteral(value: unknown, ptr: string, depth: number, ctx: Ctx): void {
  if (depth > MAX_RULE_DEPTH) {
    ctx.scan.problems.push({ pointer: ptr, code: 'RULE_TOO_DEEP', message: `nesting deeper than ${MAX_RULE_DEPTH}` });
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (FORBIDDEN_KEYS.has(k))
      ctx.scan.problems.push({
        pointer: pointer(ptr, k),
        code: 'RULE_FORBIDDEN_KEY',
        message: `key "${k}" is not allowed`,
      });
    else walkLiteral(v, pointer(ptr, k), depth + 1, ctx);
  }
}

/**
 * Checks one json-logic rule found at `ptr`. `checkRoots: false` for rules that see another data shape than the
 * journey's (event recognition and identity rules read the raw payload).
 */
export function scanRule(rule: unknown, ptr: string, opts: { checkRoots?: boolean } = {}): RuleScan {
  const scan: RuleScan = { problems: [], paths: [] };
  walk(rule, ptr, false, 0, { scan, checkRoots: opts.checkRoots ?? true });
  return scan;
}

/** The paths under `root` with their second segment (`datasources.weather.temp` → `weather`). */
export function refsUnder(paths: readonly RulePath[], root: string): Array<RulePath & { id: string }> {
  const out: Array<RulePath & { id: string }> = [];
  for (const p of paths) {
    const [r, id] = splitPath(p.path);
    if (r === root && id) out.push({ ...p, id });
  }
  return out;
}
