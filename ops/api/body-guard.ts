/**
 * First line of defence for request bodies, before any schema: JSON parsing with a clear error, a nesting
 * bound, and no prototype keys anywhere (they are refused with a pointer, so nothing downstream ever sees one).
 * Iterative on purpose: a hostile body must not be able to exhaust the stack.
 */
import { FORBIDDEN_KEYS, pointer } from '../../schemas/index.js';
import type { ApiProblem } from './errors.js';

/** Deepest nesting a body may have (json-logic rules are bounded at 64 levels inside it). */
export const MAX_BODY_DEPTH = 100;

/** Problems of a parsed body: nesting deeper than `maxDepth`, prototype keys. At most `limit` are listed. */
export function bodyProblems(body: unknown, maxDepth = MAX_BODY_DEPTH, limit = 100): ApiProblem[] {
  const out: ApiProblem[] = [];
  const stack: Array<{ v: unknown; p: string; d: number }> = [{ v: body, p: '', d: 0 }];
  while (stack.length > 0 && out.length < limit) {
    const { v, p, d } = stack.pop() as { v: unknown; p: string; d: number };
    if (v === null || typeof v !== 'object') continue;
    if (d >= maxDepth) {
      out.push({ pointer: p, code: 'BODY_TOO_DEEP', message: `nested deeper than ${maxDepth} levels` });
      continue;
    }
    const entries: Array<[string, unknown]> = Array.isArray(v)
      ? v.map((x, i): [string, unknown] => [String(i), x])
      : Object.entries(v as Record<string, unknown>);
    for (const [k, x] of entries) {
      if (!Array.isArray(v) && FORBIDDEN_KEYS.has(k))
        out.push({ pointer: pointer(p, k), code: 'BODY_FORBIDDEN_KEY', message: `key "${k}" is not allowed` });
      else stack.push({ v: x, p: pointer(p, k), d: d + 1 });
    }
  }
  return out;
}

/** Parses a JSON body; a syntax error becomes one problem at the document root. */
export function parseJsonBody(text: string): { ok: true; value: unknown } | { ok: false; problems: ApiProblem[] } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, problems: [{ pointer: '', code: 'BODY_INVALID_JSON', message }] };
  }
}
