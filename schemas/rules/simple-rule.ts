/**
 * A compiled fast path for the small rules nearly every journey uses (entry conditions, condition paths:
 * `{"==": [{"var": "event.xdm.segment"}, 2]}`, comparisons joined by `and`/`or`). json-logic-js interprets a rule
 * on every evaluation — operator lookup by `Object.keys`, argument arrays mapped, `var` paths split — and the
 * evaluator meters each step; for the 20-journey benchmark that was most of an entry condition's cost.
 *
 * `simpleRule` compiles a rule once (cached per rule object; rules come from the frozen journey configuration) to
 * a function with exactly json-logic-js 2.0.5's results for the operators below, and returns undefined for
 * anything else, which the evaluator hands to json-logic-js as before. Compiled rules are bounded (at most
 * MAX_NODES nodes, no loops, nothing built): they cannot work past a budget, so they run without a meter.
 *
 * Supported: literals (string, number, boolean, null); `var` with a literal path and an optional literal default;
 * `==`, `===`, `!=`, `!==`, `>`, `>=` with two arguments; `<`, `<=` with two or three (between); `!`, `!!` with
 * one; `and`, `or` (first falsy / first truthy, or the last); `if` / `?:`.
 */

/**
 * A compiled rule: its result for `data`, and its size: at least the operations json-logic-js's meter counts for
 * it (every node, a `var`'s arguments included).
 */
export interface SimpleRule {
  readonly run: (data: unknown) => unknown;
  readonly nodes: number;
}

/** Largest rule compiled; bigger ones go to json-logic-js. */
export const MAX_NODES = 64;

type Run = (data: unknown) => unknown;

const compiled = new WeakMap<object, SimpleRule | null>();

/** json-logic truthiness: an empty array is false. */
function truthy(v: unknown): boolean {
  return Array.isArray(v) ? v.length > 0 : !!v;
}

/** The compiled form of `rule`, or undefined when json-logic-js must evaluate it. */
export function simpleRule(rule: unknown): SimpleRule | undefined {
  if (rule === null || typeof rule !== 'object') return undefined;
  let c = compiled.get(rule);
  if (c === undefined) {
    const size = { nodes: 0 };
    const run = compile(rule, size);
    c = run ? { run, nodes: size.nodes } : null;
    compiled.set(rule, c);
  }
  return c ?? undefined;
}

function isLiteral(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function compile(node: unknown, size: { nodes: number }): Run | undefined {
  if (++size.nodes > MAX_NODES) return undefined;
  if (isLiteral(node)) return () => node;
  if (typeof node !== 'object' || Array.isArray(node)) return undefined;
  const keys = Object.keys(node);
  const op = keys[0];
  if (keys.length !== 1 || op === undefined) return undefined;
  const raw = (node as Record<string, unknown>)[op];
  const args: readonly unknown[] = Array.isArray(raw) ? raw : [raw];
  // json-logic-js applies (and its meter counts) the path and default of a `var` too
  if (op === 'var') return (size.nodes += 2) > MAX_NODES ? undefined : compileVar(args);
  const parts: Run[] = [];
  for (const a of args) {
    const p = compile(a, size);
    if (!p) return undefined;
    parts.push(p);
  }
  return combine(op, parts);
}

/** json-logic-js `var`: the path split on dots, `null` (or the default) where the data ends. */
function compileVar(args: readonly unknown[]): Run | undefined {
  const [a, b] = args;
  if (args.length > 2 || (a !== undefined && a !== null && typeof a !== 'string' && typeof a !== 'number'))
    return undefined;
  if (b !== undefined && !isLiteral(b)) return undefined;
  const notFound = b === undefined ? null : b;
  if (a === undefined || a === null || a === '') return (data) => data;
  const path = String(a).split('.');
  return (data) => {
    let d = data;
    for (let i = 0; i < path.length; i++) {
      if (d === null || d === undefined) return notFound;
      d = (d as Record<string, unknown>)[path[i] as string];
      if (d === undefined) return notFound;
    }
    return d;
  };
}

// json-logic's `==` and `!=` are JavaScript's loose (in)equality
function binary(op: string, x: Run, y: Run): Run | undefined {
  switch (op) {
    case '==':
      return (d) => x(d) == y(d);
    case '===':
      return (d) => x(d) === y(d);
    case '!=':
      return (d) => x(d) != y(d);
    case '!==':
      return (d) => x(d) !== y(d);
    case '>':
      return (d) => (x(d) as number) > (y(d) as number);
    case '>=':
      return (d) => (x(d) as number) >= (y(d) as number);
    case '<':
      return (d) => (x(d) as number) < (y(d) as number);
    case '<=':
      return (d) => (x(d) as number) <= (y(d) as number);
    default:
      return undefined;
  }
}

/** `<` / `<=` with three arguments: between (all three evaluated first, as json-logic-js does). */
function between(op: string, x: Run, y: Run, z: Run): Run | undefined {
  if (op === '<')
    return (d) => {
      const a = x(d) as number;
      const b = y(d) as number;
      const c = z(d) as number;
      return a < b && b < c;
    };
  if (op === '<=')
    return (d) => {
      const a = x(d) as number;
      const b = y(d) as number;
      const c = z(d) as number;
      return a <= b && b <= c;
    };
  return undefined;
}

function andOr(op: 'and' | 'or', parts: readonly Run[]): Run {
  const wanted = op === 'or';
  return (d) => {
    let current: unknown;
    for (let i = 0; i < parts.length; i++) {
      current = (parts[i] as Run)(d);
      if (truthy(current) === wanted) return current;
    }
    return current;
  };
}

function ifThen(parts: readonly Run[]): Run {
  return (d) => {
    let i = 0;
    for (; i < parts.length - 1; i += 2) if (truthy((parts[i] as Run)(d))) return (parts[i + 1] as Run)(d);
    return i === parts.length - 1 ? (parts[i] as Run)(d) : null;
  };
}

function combine(op: string, parts: readonly Run[]): Run | undefined {
  const [x, y, z] = parts;
  if (op === 'and' || op === 'or') return andOr(op, parts);
  if (op === 'if' || op === '?:') return ifThen(parts);
  if (parts.length === 1 && x) {
    if (op === '!') return (d) => !truthy(x(d));
    if (op === '!!') return (d) => truthy(x(d));
    return undefined;
  }
  if (parts.length === 2 && x && y) return binary(op, x, y);
  if (parts.length === 3 && x && y && z) return between(op, x, y, z);
  return undefined;
}
