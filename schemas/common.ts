/** Building blocks shared by the resource and message schemas (TypeBox: JSON Schema + derived TS types). */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Resource ids: PRODUCT.md → Configuration resources. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
export const Id = Type.String({ pattern: ID_PATTERN });

/** ISO-8601 duration such as `PT5M`, `P30D`, `P1DT12H`; parsed and range-checked by the journey compiler. */
export const IsoDuration = Type.String({
  pattern: '^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?$',
  maxLength: 64,
});

/** A json-logic rule: any JSON; operators and prototype safety are checked by the journey compiler. */
export const JsonLogic = Type.Unknown({ description: 'json-logic rule' });
export type JsonLogicRule = unknown;

/**
 * A secret is never given in clear: `{ env: NAME }` or `{ file: /path }`, resolved by the process that uses it.
 */
export const SecretRef = Type.Union([
  Type.Object({ env: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' }) }, { additionalProperties: false }),
  Type.Object({ file: Type.String({ pattern: '^/', maxLength: 1024 }) }, { additionalProperties: false }),
]);
export type SecretRef = Static<typeof SecretRef>;

export const Auth = Type.Union([
  Type.Object({ type: Type.Literal('none') }, { additionalProperties: false }),
  Type.Object(
    { type: Type.Literal('basic'), username: Type.String({ maxLength: 256 }), password: SecretRef },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('apiKey'),
      in: Type.Union([Type.Literal('header'), Type.Literal('query')]),
      name: Type.String({ minLength: 1, maxLength: 128 }),
      value: SecretRef,
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('bearer'), token: SecretRef }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('oauth2'),
      tokenUrl: Type.String({ format: 'uri', maxLength: 2048 }),
      clientId: Type.String({ maxLength: 256 }),
      clientSecret: SecretRef,
      scope: Type.Optional(Type.String({ maxLength: 1024 })),
    },
    { additionalProperties: false },
  ),
]);
export type Auth = Static<typeof Auth>;

export const Headers = Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 8192 }), {
  maxProperties: 64,
});

/**
 * Throttling of an action (issue 18): commands over `perSecond` wait in a durable queue on Kafka and are sent at
 * that rate; a command that would wait longer than `maxDelay` (ISO-8601, at most PT6H) after it was created is
 * `capped`. Shape only; the duration rules are checked by `validateAction`.
 */
export const Throttle = Type.Object(
  { perSecond: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }), maxDelay: IsoDuration },
  { additionalProperties: false },
);
export type Throttle = Static<typeof Throttle>;

export const RateLimit = Type.Object(
  { perSecond: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }) },
  { additionalProperties: false },
);

export const HttpMethod = Type.Union([
  Type.Literal('GET'),
  Type.Literal('POST'),
  Type.Literal('PUT'),
  Type.Literal('PATCH'),
  Type.Literal('DELETE'),
]);

/** Makes every property of an object schema reject unknown keys (typo protection for admins). */
export function strictObject<T extends Record<string, TSchema>>(props: T, opts: { description?: string } = {}) {
  return Type.Object(props, { additionalProperties: false, ...opts });
}
