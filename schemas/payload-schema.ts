/**
 * Event payload JSON Schemas (an event config's `payloadSchema`): compiled by one ajv instance that keeps nothing
 * (`addUsedSchema: false`, and each schema removed from its cache once compiled), so a schema's `$id` never
 * collides with an earlier edit of the same event and nothing accumulates per edit; and with a
 * linear-time regex engine (RE2, via re2js) for `pattern` / `patternProperties`, so no payload can stall the event
 * loop with catastrophic backtracking. A pattern RE2 cannot run (look-around, back-references) is refused at save.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { RE2JS } from 're2js';

// ajv-formats is CommonJS: its default export sits on `.default` under some loaders and not others.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  a: Ajv,
) => Ajv;

/** RE2 flags from the JS flags ajv asks for (`u` always; RE2 is Unicode-aware by itself). */
function re2Flags(flags: string): number {
  let f = 0;
  if (flags.includes('i')) f |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) f |= RE2JS.MULTILINE;
  if (flags.includes('s')) f |= RE2JS.DOTALL;
  return f;
}

/** ajv's `code.regExp` engine: RE2 with `test` (what ajv's generated code calls). */
const re2Engine = Object.assign(
  (source: string, flags: string) => {
    const re = RE2JS.compile(source, re2Flags(flags));
    return { test: (s: string) => re.matcher(s).find() };
  },
  { code: 're2js' },
);

/** A compiled payload schema: `validate` plus the text of its last errors. */
export interface PayloadValidator {
  readonly validate: ValidateFunction;
  errorsText(): string;
}

export type PayloadSchemaCompile =
  | { readonly ok: true; readonly validator: PayloadValidator }
  | {
      readonly ok: false;
      readonly code: 'PAYLOAD_SCHEMA_INVALID' | 'PAYLOAD_SCHEMA_UNSAFE_PATTERN';
      readonly error: string;
    };

const ajv = addFormats(new Ajv({ allErrors: true, strict: false, addUsedSchema: false, code: { regExp: re2Engine } }));

/** Compiles an event's payload schema; never throws. The compiled function is all that is kept. */
export function compilePayloadSchema(schema: unknown): PayloadSchemaCompile {
  try {
    const validate = ajv.compile(schema as object);
    return { ok: true, validator: { validate, errorsText: () => ajv.errorsText(validate.errors) } };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    // re2js reports a pattern it cannot run as "error parsing regexp: ..."
    const code = /error parsing regexp/i.test(error) ? 'PAYLOAD_SCHEMA_UNSAFE_PATTERN' : 'PAYLOAD_SCHEMA_INVALID';
    return { ok: false, code, error };
  } finally {
    if (schema !== null && typeof schema === 'object') ajv.removeSchema(schema);
  }
}

/** Schemas ajv holds (its cache and `$id` registry): stays at the meta-schemas' count however often we compile. */
export function payloadSchemaCacheSize(): number {
  return (ajv as unknown as { _cache: Map<unknown, unknown> })._cache.size;
}

const compiled = new WeakMap<object, PayloadValidator | Error>();

/**
 * The validator of a payload schema object, compiled once per object (a config edit brings a new object; the old
 * one and its ajv instance are garbage once no config references them). Throws when the schema does not compile.
 */
export function payloadValidator(schema: object): PayloadValidator {
  let v = compiled.get(schema);
  if (!v) {
    const r = compilePayloadSchema(schema);
    v = r.ok ? r.validator : new Error(`${r.code}: ${r.error}`);
    compiled.set(schema, v);
  }
  if (v instanceof Error) throw v;
  return v;
}
