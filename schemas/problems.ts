/**
 * ConfigProblem: the one error shape of configuration validation (journey compiler, resource validators, REST API
 * 400 bodies, `jo validate`). Every problem names where it is (a JSON pointer into the submitted document), a
 * stable code (docs/errors.md) and a human message. Validators report every problem at once.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Static, TSchema } from '@sinclair/typebox';
import type { SchemaCode } from './codes.js';
import type { URL_NOT_ALLOWED } from './outbound-policy.js';
import type { SECRET_REF_NOT_ALLOWED } from './secret-policy.js';

/**
 * Every code a schemas/ validator may report: schemas/codes.ts, plus the two policy refusals that connectors/
 * registers (it enforces the policies at call time; validation reports them early, at save time).
 */
export type ProblemCode = SchemaCode | typeof URL_NOT_ALLOWED | typeof SECRET_REF_NOT_ALLOWED;

export interface ConfigProblem<Code extends string = ProblemCode> {
  /** RFC 6901 JSON pointer into the validated document (`""` is the document itself). */
  readonly pointer: string;
  /**
   * Stable code from a registry (schemas/codes.ts; the API adds its own from ops/codes.ts through the type
   * parameter), listed in docs/errors.md: a code missing from the registry does not type-check.
   */
  readonly code: Code;
  readonly message: string;
}

/** Escapes one JSON pointer segment (RFC 6901). */
export function pointerSegment(s: string | number): string {
  return String(s).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Joins a base pointer and segments. */
export function pointer(base: string, ...segments: Array<string | number>): string {
  return base + segments.map((s) => `/${pointerSegment(s)}`).join('');
}

const KEYWORD_CODES: Readonly<Record<string, SchemaCode>> = {
  type: 'SCHEMA_TYPE',
  required: 'SCHEMA_REQUIRED',
  additionalProperties: 'SCHEMA_UNKNOWN_PROPERTY',
  pattern: 'SCHEMA_PATTERN',
  format: 'SCHEMA_FORMAT',
  minLength: 'SCHEMA_TOO_SHORT',
  maxLength: 'SCHEMA_TOO_LONG',
  minItems: 'SCHEMA_TOO_SHORT',
  maxItems: 'SCHEMA_TOO_LONG',
  minProperties: 'SCHEMA_TOO_SHORT',
  maxProperties: 'SCHEMA_TOO_LONG',
  minimum: 'SCHEMA_RANGE',
  maximum: 'SCHEMA_RANGE',
  exclusiveMinimum: 'SCHEMA_RANGE',
  exclusiveMaximum: 'SCHEMA_RANGE',
  const: 'SCHEMA_ENUM',
  enum: 'SCHEMA_ENUM',
};

/** Every code `schemaProblems` can emit (for the docs/errors.md test). */
export const SCHEMA_CODES: readonly SchemaCode[] = [
  ...new Set([...Object.values(KEYWORD_CODES), 'SCHEMA_INVALID' as const]),
];

// ajv-formats is CJS with a default export; under NodeNext its namespace import differs between tools.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  a: Ajv,
) => Ajv;

const ajv = addFormats(new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }));
const cache = new WeakMap<TSchema, ValidateFunction>();

function validatorFor(schema: TSchema): ValidateFunction {
  let v = cache.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    cache.set(schema, v);
  }
  return v;
}

function errorPointer(e: ErrorObject, base: string): string {
  const p = base + e.instancePath;
  if (e.keyword === 'required') return pointer(p, (e.params as { missingProperty: string }).missingProperty);
  if (e.keyword === 'additionalProperties')
    return pointer(p, (e.params as { additionalProperty: string }).additionalProperty);
  return p;
}

const isUnder = (inner: ErrorObject, outer: ErrorObject) =>
  inner !== outer &&
  inner.schemaPath.startsWith(`${outer.schemaPath}/`) &&
  (inner.instancePath === outer.instancePath || inner.instancePath.startsWith(`${outer.instancePath}/`));

function branchOf(inner: ErrorObject, outer: ErrorObject): number {
  return Number(inner.schemaPath.slice(outer.schemaPath.length + 1).split('/')[0]);
}

function isDiscriminatorMiss(e: ErrorObject, at: string): boolean {
  return e.keyword === 'const' && (e.instancePath === at || e.instancePath === `${at}/type`);
}

/**
 * A union failure yields one error per branch; keep only the branch the document most plausibly meant (the one
 * whose `type` matches, else the fewest errors), or one enum error when no branch's discriminator matched.
 */
function collapseUnion(errors: ErrorObject[], union: ErrorObject): ErrorObject[] {
  const inside = errors.filter((e) => isUnder(e, union));
  const branches = new Map<number, ErrorObject[]>();
  for (const e of inside) branches.set(branchOf(e, union), [...(branches.get(branchOf(e, union)) ?? []), e]);
  const rest = errors.filter((e) => e !== union && !inside.includes(e));
  const scored = [...branches.values()].map((errs) => ({
    errs,
    miss: errs.some((e) => isDiscriminatorMiss(e, union.instancePath)),
  }));
  if (scored.length > 0 && scored.every((s) => s.miss)) {
    const misses = scored.map((s) => s.errs.find((e) => isDiscriminatorMiss(e, union.instancePath)));
    const allowed = [...new Set(misses.map((e) => String((e?.params as { allowedValue?: unknown }).allowedValue)))];
    const first = misses[0] as ErrorObject;
    return [...rest, { ...first, message: `must be one of: ${allowed.join(', ')}`, schemaPath: union.schemaPath }];
  }
  scored.sort((a, b) => Number(a.miss) - Number(b.miss) || a.errs.length - b.errs.length);
  return [...rest, ...(scored[0]?.errs ?? [union])];
}

/**
 * Validates `value` against a TypeBox schema and returns every problem, with pointers relative to `base`.
 * Union failures are reduced to the branch the document meant, so an admin sees a handful of precise errors.
 */
export function schemaProblems(schema: TSchema, value: unknown, base = ''): ConfigProblem[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  let errors = [...(validate.errors ?? [])];
  for (;;) {
    const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
    if (unions.length === 0) break;
    // innermost first: a nested union collapses before its parent counts its branch errors
    unions.sort((a, b) => b.schemaPath.length - a.schemaPath.length);
    errors = collapseUnion(errors, unions[0] as ErrorObject);
  }
  const seen = new Set<string>();
  const out: ConfigProblem[] = [];
  for (const e of errors) {
    const p = {
      pointer: errorPointer(e, base),
      code: KEYWORD_CODES[e.keyword] ?? 'SCHEMA_INVALID',
      message: e.message ?? 'invalid',
    };
    const k = `${p.pointer}\u0000${p.code}\u0000${p.message}`;
    if (!seen.has(k)) out.push(p);
    seen.add(k);
  }
  return out;
}

/** True when `value` satisfies `schema` (no problem list built). */
export function schemaValid<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  return validatorFor(schema)(value);
}
