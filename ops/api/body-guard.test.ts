import { describe, expect, it } from 'vitest';
import { bodyProblems, parseJsonBody } from './body-guard.js';

describe('body guard', () => {
  it('accepts ordinary bodies', () => {
    expect(bodyProblems({ a: [1, { b: 'c' }], constructed: true })).toEqual([]);
  });

  it('refuses prototype keys at any depth, with pointers', () => {
    const body = JSON.parse('{"a":[{"__proto__":{"x":1}}],"b":{"constructor":1},"c~/":{"prototype":2}}') as unknown;
    expect(bodyProblems(body).map((p) => [p.pointer, p.code])).toEqual(
      expect.arrayContaining([
        ['/a/0/__proto__', 'BODY_FORBIDDEN_KEY'],
        ['/b/constructor', 'BODY_FORBIDDEN_KEY'],
        ['/c~0~1/prototype', 'BODY_FORBIDDEN_KEY'],
      ]),
    );
  });

  it('bounds nesting without recursion (100k levels do not blow the stack)', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    const [p] = bodyProblems(deep);
    expect(p?.code).toBe('BODY_TOO_DEEP');
    expect(p?.pointer).toBe('/0'.repeat(100));
    expect(bodyProblems(JSON.parse('['.repeat(100) + ']'.repeat(100)))).toEqual([]);
  });

  it('parses JSON or reports one problem at the root', () => {
    expect(parseJsonBody('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonBody('')).toEqual({ ok: true, value: undefined });
    const bad = parseJsonBody('{"a":');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems[0]).toMatchObject({ pointer: '', code: 'BODY_INVALID_JSON' });
  });
});
