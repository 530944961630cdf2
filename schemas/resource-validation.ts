/**
 * Validation of event, data-source and action resources: shape (ajv over the TypeBox schema, every error) plus
 * the checks a schema cannot express — rule operators, prototype-safe paths, template paths, URL schemes, and
 * secrets given in clear. Used by the REST API and `jo validate`; journeys go through `compileJourney`.
 */
import type { TSchema } from '@sinclair/typebox';
import { ActionConfig, CapConfig, DataSourceConfig, EventConfig, type ResourceKind } from './resources.js';
import { parseDurationMs } from './duration.js';
import { pointer, schemaProblems, type ConfigProblem } from './problems.js';
import { compilePayloadSchema } from './payload-schema.js';
import { scanRule } from './rules/rule-check.js';
import { FORBIDDEN_KEYS } from './rules/dialect.js';
import { templatePaths } from './template.js';
import { URL_NOT_ALLOWED, urlRefusal, type OutboundPolicy } from './outbound-policy.js';
import { CREDENTIAL_NAME, SECRET_REF_NOT_ALLOWED, secretRefRefusal, type SecretPolicy } from './secret-policy.js';

/**
 * What the REST API enforces at save time on top of the shape: the outbound policy on every URL an engine will
 * call, the secret policy on every secret reference, and credential-looking header and query names. Records read
 * back from `jo.config` are not judged by it (the connectors check again at call time).
 */
export interface ResourcePolicy {
  readonly outbound: OutboundPolicy;
  readonly secrets: SecretPolicy;
}

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

/** Query parameters of a (templated) URL whose names look like credentials. */
function credentialQueryNames(url: string): string[] {
  const q = url.split('#')[0]?.split('?').slice(1).join('?') ?? '';
  return q
    .split('&')
    .map((kv) => kv.split('=')[0] ?? '')
    .filter((name) => name !== '' && CREDENTIAL_NAME.test(decodeURIComponentSafe(name)));
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The save-time policy checks of an action or data source (see ResourcePolicy). */
function policyProblems(value: Record<string, unknown>, policy: ResourcePolicy): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const urls: Array<[string, unknown]> = [['/url', value['url']]];
  const auth = isRecord(value['auth']) ? value['auth'] : {};
  if (auth['type'] === 'oauth2') urls.push(['/auth/tokenUrl', auth['tokenUrl']]);
  for (const [ptr, url] of urls) {
    if (typeof url !== 'string') continue;
    const why = urlRefusal(policy.outbound, url);
    if (why !== undefined) out.push({ pointer: ptr, code: URL_NOT_ALLOWED, message: why });
    for (const name of credentialQueryNames(url))
      out.push({
        pointer: ptr,
        code: 'SECRET_LITERAL',
        message: `query parameter "${name}" looks like a credential: configure it with "auth" (apiKey in query)`,
      });
  }
  const field = typeof auth['type'] === 'string' ? SECRET_FIELDS[auth['type']] : undefined;
  const why = field ? secretRefRefusal(policy.secrets, auth[field]) : undefined;
  if (field && why) out.push({ pointer: pointer('/auth', field), code: SECRET_REF_NOT_ALLOWED, message: why });
  const headers = isRecord(value['headers']) ? value['headers'] : {};
  for (const h of Object.keys(headers))
    if (CREDENTIAL_NAME.test(h) && !SECRET_HEADERS.has(h.toLowerCase()))
      out.push({
        pointer: pointer('/headers', h),
        code: 'SECRET_LITERAL',
        message: `header "${h}" looks like a credential: configure it with "auth" and a secret reference`,
      });
  return out;
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

function httpProblems(value: Record<string, unknown>, policy?: ResourcePolicy): ConfigProblem[] {
  const headers = isRecord(value['headers']) ? value['headers'] : {};
  return [
    ...(policy ? policyProblems(value, policy) : []),
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

/** Every problem of a data-source resource (PRODUCT.md → datasource); `policy` adds the save-time checks. */
export function validateDatasource(value: unknown, policy?: ResourcePolicy): ConfigProblem[] {
  if (!isRecord(value)) return schemaProblems(DataSourceConfig, value);
  return merge(DataSourceConfig, value, httpProblems(value, policy));
}

/** Every problem of an action resource (PRODUCT.md → action); `policy` adds the save-time checks. */
export function validateAction(value: unknown, policy?: ResourcePolicy): ConfigProblem[] {
  if (!isRecord(value)) return schemaProblems(ActionConfig, value);
  return merge(ActionConfig, value, [...httpProblems(value, policy), ...throttleProblems(value)]);
}

/** Longest a throttled command may wait in the queue (issue 18). */
export const MAX_THROTTLE_DELAY_MS = 6 * 3600 * 1000;

/** `throttle.maxDelay` within (0, PT6H]; `throttle` and `rateLimit` exclude each other (queue or cap, not both). */
function throttleProblems(value: Record<string, unknown>): ConfigProblem[] {
  const t = value['throttle'];
  if (!isRecord(t)) return [];
  const out: ConfigProblem[] = [];
  if (value['rateLimit'] !== undefined)
    out.push({
      pointer: '/throttle',
      code: 'THROTTLE_WITH_RATE_LIMIT',
      message: 'an action sets either `throttle` (queue over the rate) or `rateLimit` (cap over the rate), not both',
    });
  const d = t['maxDelay'];
  if (typeof d !== 'string') return out;
  const ms = parseDurationMs(d);
  if (ms === undefined) return out; // the schema's pattern reports it
  if (ms <= 0)
    out.push({ pointer: '/throttle/maxDelay', code: 'DURATION_TOO_SHORT', message: 'maxDelay must be positive' });
  else if (ms > MAX_THROTTLE_DELAY_MS)
    out.push({
      pointer: '/throttle/maxDelay',
      code: 'THROTTLE_DELAY_TOO_LONG',
      message: `maxDelay "${d}" is over PT6H`,
    });
  return out;
}

/** Every problem of a frequency cap (`PUT /v1/caps/:id`). */
export function validateCap(value: unknown): ConfigProblem[] {
  if (!isRecord(value)) return schemaProblems(CapConfig, value);
  const extra: ConfigProblem[] = [];
  const w = value['window'];
  if (typeof w === 'string' && parseDurationMs(w) === undefined)
    extra.push({ pointer: '/window', code: 'DURATION_INVALID', message: `window "${w}" is not an ISO-8601 duration` });
  else if (typeof w === 'string' && (parseDurationMs(w) ?? 0) <= 0)
    extra.push({ pointer: '/window', code: 'DURATION_TOO_SHORT', message: 'window must be positive' });
  return merge(CapConfig, value, extra);
}

/** Validator per non-journey kind (journeys: `compileJourney`). */
export const resourceValidators: Readonly<
  Record<Exclude<ResourceKind, 'journey'>, (v: unknown, policy?: ResourcePolicy) => ConfigProblem[]>
> = {
  event: validateEvent,
  datasource: validateDatasource,
  action: validateAction,
  cap: validateCap,
};
