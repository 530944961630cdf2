/**
 * Validation of event, data-source and action resources: shape (ajv over the TypeBox schema, every error) plus
 * the checks a schema cannot express — rule operators, prototype-safe paths, template paths, URL schemes, and
 * secrets given in clear. Used by the REST API and `jo validate`; journeys go through `compileJourney`.
 */
import type { TSchema } from '@sinclair/typebox';
import { ActionConfig, DataSourceConfig, EventConfig, type ResourceKind } from './resources.js';
import { pointer, schemaProblems, type ConfigProblem } from './problems.js';
import { compilePayloadSchema } from './payload-schema.js';
import { scanRule } from './rule-check.js';
import { FORBIDDEN_KEYS } from './rules.js';
import { templatePaths } from './template.js';

/** Where an `auth` object carries its secret, per auth type. */
const SECRET_FIELDS: Readonly<Record<string, string>> = {
  basic: 'password',
  apiKey: 'value',
  bearer: 'token',
  oauth2: 'clientSecret',
};

/** Headers that carry credentials: they must come from `auth` (a SecretRef), never a literal header value. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'api-key',
]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function forbiddenSegment(path: string): string | undefined {
  return path.split(/[.[\]]/).find((s) => FORBIDDEN_KEYS.has(s));
}

/** Literal secrets under `auth`; the matching schema errors are replaced by one clear problem each. */
function secretProblems(value: Record<string, unknown>): ConfigProblem[] {
  const auth = value['auth'];
  if (!isRecord(auth) || typeof auth['type'] !== 'string') return [];
  const field = SECRET_FIELDS[auth['type']];
  if (!field || auth[field] === undefined || isRecord(auth[field])) return [];
  return [
    {
      pointer: pointer('/auth', field),
      code: 'SECRET_LITERAL',
      message: `give ${field} as a reference ({"env": "NAME"} or {"file": "/path"}), never in clear`,
    },
  ];
}

function headerProblems(value: Record<string, unknown>): ConfigProblem[] {
  const headers = value['headers'];
  if (!isRecord(headers)) return [];
  return Object.keys(headers)
    .filter((h) => SECRET_HEADERS.has(h.toLowerCase()))
    .map((h) => ({
      pointer: pointer('/headers', h),
      code: 'SECRET_LITERAL',
      message: `header "${h}" carries a credential: configure it with "auth" and a secret reference`,
    }));
}

function templateProblems(text: unknown, ptr: string): ConfigProblem[] {
  if (typeof text !== 'string') return [];
  return templatePaths(text).flatMap((path) => {
    const bad = forbiddenSegment(path);
    return bad
      ? [{ pointer: ptr, code: 'TEMPLATE_FORBIDDEN_PATH', message: `template path "${path}" uses "${bad}"` }]
      : [];
  });
}

function urlProblems(url: unknown): ConfigProblem[] {
  if (typeof url !== 'string') return [];
  return /^https?:\/\/[^\s/{}]/i.test(url)
    ? []
    : [{ pointer: '/url', code: 'URL_INVALID', message: 'url must start with http:// or https:// and a literal host' }];
}

function httpProblems(value: Record<string, unknown>): ConfigProblem[] {
  const headers = isRecord(value['headers']) ? value['headers'] : {};
  return [
    ...secretProblems(value),
    ...headerProblems(value),
    ...urlProblems(value['url']),
    ...templateProblems(value['url'], '/url'),
    ...templateProblems(value['body'], '/body'),
    ...Object.entries(headers).flatMap(([h, v]) => templateProblems(v, pointer('/headers', h))),
  ];
}

/** Schema problems minus those a more precise cross-check already reports at the same place. */
function merge(schema: TSchema, value: unknown, extra: ConfigProblem[]): ConfigProblem[] {
  const covered = extra.map((p) => p.pointer);
  const shape = schemaProblems(schema, value).filter(
    (p) => !covered.some((c) => p.pointer === c || p.pointer.startsWith(`${c}/`)),
  );
  return [...shape, ...extra];
}

/** Every problem of an event resource (PRODUCT.md → event). */
export function validateEvent(value: unknown): ConfigProblem[] {
  if (!isRecord(value)) return schemaProblems(EventConfig, value);
  const extra: ConfigProblem[] = [];
  const rec = value['recognition'];
  if (isRecord(rec) && rec['rule'] !== undefined)
    extra.push(...scanRule(rec['rule'], '/recognition/rule', { checkRoots: false }).problems);
  const id = value['identity'];
  if (isRecord(id) && id['expression'] !== undefined)
    extra.push(...scanRule(id['expression'], '/identity/expression', { checkRoots: false }).problems);
  if (isRecord(id) && typeof id['path'] === 'string' && forbiddenSegment(id['path']))
    extra.push({ pointer: '/identity/path', code: 'RULE_FORBIDDEN_PATH', message: 'path reaches a prototype' });
  const mapping = value['mapping'];
  if (isRecord(mapping))
    for (const [to, from] of Object.entries(mapping))
      if (forbiddenSegment(to) || (typeof from === 'string' && forbiddenSegment(from)))
        extra.push({
          pointer: pointer('/mapping', to),
          code: 'RULE_FORBIDDEN_PATH',
          message: 'mapping path reaches a prototype',
        });
  if (isRecord(value['payloadSchema'])) {
    const compiled = compilePayloadSchema(value['payloadSchema']);
    if (!compiled.ok) extra.push({ pointer: '/payloadSchema', code: compiled.code, message: compiled.error });
  }
  return merge(EventConfig, value, extra);
}

/** Every problem of a data-source resource (PRODUCT.md → datasource). */
export function validateDatasource(value: unknown): ConfigProblem[] {
  if (!isRecord(value)) return schemaProblems(DataSourceConfig, value);
  return merge(DataSourceConfig, value, httpProblems(value));
}

/** Every problem of an action resource (PRODUCT.md → action). */
export function validateAction(value: unknown): ConfigProblem[] {
  if (!isRecord(value)) return schemaProblems(ActionConfig, value);
  return merge(ActionConfig, value, httpProblems(value));
}

/** Validator per non-journey kind (journeys: `compileJourney`). */
export const resourceValidators: Readonly<Record<Exclude<ResourceKind, 'journey'>, (v: unknown) => ConfigProblem[]>> = {
  event: validateEvent,
  datasource: validateDatasource,
  action: validateAction,
};
