/**
 * Raw `jo.events` bytes → normalized event (PRODUCT.md → Normalized event). Accepts JSON (UTF-8) and Avro in the
 * Confluent wire format; recognises the event configuration (system `eventID` first, then `eventType`, then
 * json-logic rules, each in id order); maps raw JSON to XDM when the configuration says so; validates the payload
 * against the configuration's JSON Schema; resolves the identity (path, expression, or the XDM `identityMap`).
 * Bad input yields a dead-letter code; input no configuration recognises is a discard, not a dead letter.
 */
import {
  framedSchemaId,
  isConfluentFramed,
  payloadValidator,
  readPath,
  type EventConfig,
} from '../../schemas/index.js';
import { processorCodes, type ProcessorCode } from '../codes.js';
import { profileKeyOf, type NormalizedEvent } from './journey-model.js';
import { evaluateWith, isBudgetExceeded, truthy } from './rules.js';

/** Dead-letter codes of the normalizer, by what went wrong (codes of processors/codes.ts). */
export const NormalizeCodes = {
  tooLarge: 'EVENT_TOO_LARGE',
  invalidJson: 'EVENT_INVALID_JSON',
  invalidAvro: 'EVENT_INVALID_AVRO',
  unknownSchema: 'EVENT_UNKNOWN_SCHEMA',
  noIdentity: 'EVENT_NO_IDENTITY',
  payloadInvalid: 'EVENT_PAYLOAD_INVALID',
  /** A recognition rule or identity expression worked past its budget on this event (schemas/rules/rule-budget.ts). */
  ruleBudget: 'RULE_BUDGET_EXCEEDED',
} as const satisfies Record<string, ProcessorCode>;

/** Discard reason when no event configuration recognises the event. */
export const UNRECOGNIZED = 'noEventConfig';

export type NormalizeResult =
  | { readonly kind: 'event'; readonly event: NormalizedEvent }
  | { readonly kind: 'dead'; readonly code: string; readonly message: string }
  | { readonly kind: 'discard'; readonly reason: string };

/**
 * Decodes a Confluent-framed Avro payload (schemas/avro-registry.ts `AvroRegistry.decode`); rejects when `signal`
 * aborts.
 */
export type AvroDecode = (buf: Buffer, signal?: AbortSignal) => Promise<unknown>;

export interface NormalizeInput {
  readonly value: Buffer | null;
  /** Event configurations, in any order. */
  readonly events: readonly EventConfig[];
  readonly maxBytes: number;
  /** Absent: Avro payloads are dead-lettered as `EVENT_UNKNOWN_SCHEMA`. */
  readonly decodeAvro?: AvroDecode;
  /** Absent: a registry failure is thrown (retryable) at once. */
  readonly registryRetry?: RegistryRetry;
  /** Id when the payload has no `_id` (deterministic, e.g. `<topic>-<partition>-<offset>`). */
  readonly fallbackId: string;
  /** Epoch ms used when the payload has no valid `timestamp` (the Kafka record timestamp). */
  readonly fallbackTimestamp: number;
  readonly now: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
type Parsed = { readonly raw: Json } | NormalizeResult;
const dead = (code: string, message: string): NormalizeResult => ({ kind: 'dead', code, message });

function statusOf(err: unknown): number | undefined {
  const s = isObject(err) ? err['status'] : undefined;
  return typeof s === 'number' ? s : undefined;
}

/** Retries of registry calls that fail for the registry's sake (not the event's). */
export interface RegistryRetry {
  /** Retries after the first call (bounded: then SCHEMA_REGISTRY_UNAVAILABLE is thrown). */
  readonly attempts: number;
  /** Injected wait (topology `Timer.sleep`); the backoff doubles from `baseMs`. Must end when `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly baseMs: number;
  /** Aborted when the task stops: the call in flight and the retries end at once (SCHEMA_REGISTRY_UNAVAILABLE). */
  readonly signal?: AbortSignal;
  /** Told about every failed registry call that was the registry's fault (for `jo_schema_registry_errors_total`). */
  readonly onFault?: (reason: RegistryFault) => void;
}

/** Why a registry call failed: no answer in time, no connection, or an answer with a non-404 error status. */
export type RegistryFault = 'timeout' | 'unreachable' | 'status';

function faultOf(err: unknown): RegistryFault | undefined {
  const errno = (err as NodeJS.ErrnoException).code;
  if (errno === 'ETIMEDOUT') return 'timeout';
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) return 'unreachable';
  if (statusOf(err) === undefined) return undefined; // avsc could not decode the body: the event's fault
  // The client reports connection errors as HTTP 400 with the errno in the message only.
  return err instanceof Error && /\bE[A-Z]{4,}\b/.test(err.message) ? 'unreachable' : 'status';
}

/**
 * Avro through the registry. A 404 is an unknown schema id and an error without an HTTP status is a body avsc
 * cannot decode: both are the event's fault (dead letters). Any other registry failure (the client reports
 * connection errors as HTTP 400 with the errno in the message) is retried, then thrown as retryable.
 */
async function decodeAvro(buf: Buffer, decode: AvroDecode | undefined, retry?: RegistryRetry): Promise<Parsed> {
  const id = framedSchemaId(buf);
  if (!decode) return dead(NormalizeCodes.unknownSchema, `Avro schema ${id}: no schema registry configured`);
  const signal = retry?.signal;
  const unavailable = (err: unknown) =>
    processorCodes.error('SCHEMA_REGISTRY_UNAVAILABLE', `schema registry: ${(err as Error).message}`, { cause: err });
  let value: unknown;
  for (let attempt = 1; ; attempt++) {
    try {
      value = await decode(buf, signal);
      break;
    } catch (err) {
      if (signal?.aborted) throw unavailable(err); // stopping: the event is not at fault
      if (statusOf(err) === 404) return dead(NormalizeCodes.unknownSchema, `unknown Avro schema id ${id}`);
      const fault = faultOf(err);
      if (!fault) return dead(NormalizeCodes.invalidAvro, `Avro (schema ${id}): ${(err as Error).message}`);
      retry?.onFault?.(fault);
      if (!retry || attempt > retry.attempts) throw unavailable(err);
      await retry.sleep(retry.baseMs * 2 ** (attempt - 1), signal);
    }
  }
  // avsc decodes records to class instances; a JSON round trip makes plain data (bytes/longs as JSON allows).
  const plain = JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)),
  ) as unknown;
  return isObject(plain) ? { raw: plain } : dead(NormalizeCodes.invalidAvro, `Avro (schema ${id}): not a record`);
}

/** Why `raw` fails the payload schema, or undefined when it passes (a schema that cannot compile fails all). */
function payloadProblem(schema: object, raw: Json): string | undefined {
  try {
    const v = payloadValidator(schema);
    return v.validate(raw) ? undefined : v.errorsText();
  } catch (err) {
    return (err as Error).message;
  }
}

function parsePayload(buf: Buffer): Parsed {
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    return dead(NormalizeCodes.invalidJson, `not JSON: ${(err as Error).message}`);
  }
  return isObject(v) ? { raw: v } : dead(NormalizeCodes.invalidJson, 'the event is not a JSON object');
}

function setPath(target: Json, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = target;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    cur = isObject(next) ? next : (cur[p] = {});
  }
  const last = parts.at(-1);
  if (last !== undefined && value !== undefined) cur[last] = value;
}

/** Raw JSON → XDM per `mapping` (target dotted path ← source dotted path). */
export function applyMapping(raw: Json, mapping: Readonly<Record<string, string>>): Json {
  const out: Json = {};
  for (const [to, from] of Object.entries(mapping)) setPath(out, to, readPath(raw, from));
  return out;
}

const RANK = (c: EventConfig): number => ('eventID' in c.recognition ? 0 : 'eventType' in c.recognition ? 1 : 2);

/** Event configurations in recognition order (cache the result per configuration revision). */
export function recognitionOrder(events: readonly EventConfig[]): EventConfig[] {
  return [...events].sort((a, b) => RANK(a) - RANK(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function recognises(c: EventConfig, raw: Json, xdm: Json, now: number): boolean {
  const r = c.recognition;
  if ('eventID' in r) return readPath(xdm, '_experience.campaign.orchestration.eventID') === r.eventID;
  if ('eventType' in r) return xdm['eventType'] === r.eventType;
  try {
    return truthy(evaluateWith(r.rule, raw, { now, timezone: 'UTC' }));
  } catch (err) {
    if (isBudgetExceeded(err)) throw err; // the event made the rule work without bound: dead-letter it
    return false; // a rule that cannot apply to this payload does not recognise it
  }
}

function identityValue(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (isObject(v)) return identityValue(v['id']);
  if (Array.isArray(v)) {
    const primary = v.find((e) => isObject(e) && e['primary'] === true) as unknown;
    return identityValue(primary ?? v[0]);
  }
  return undefined;
}

function resolveIdentity(c: EventConfig, xdm: Json, now: number): string | undefined {
  const spec = c.identity;
  let v: unknown;
  if ('path' in spec) v = readPath(xdm, spec.path);
  else {
    try {
      v = evaluateWith(spec.expression, xdm, { now, timezone: 'UTC' });
    } catch (err) {
      if (isBudgetExceeded(err)) throw err;
      v = undefined;
    }
  }
  const id = identityValue(v);
  if (id !== undefined) return id;
  const map = xdm['identityMap'];
  return isObject(map) ? identityValue(map[spec.namespace]) : undefined;
}

/**
 * The profile key (`<namespace>:<id>`) of the identity `normalizeEvent` gives a parsed JSON payload, for a caller that only needs to know whose event it is
 * (`jo replay` routing events to shards): the first configuration (in recognition order) that recognises it, and
 * its identity. Only for configurations without `mapping`; it skips the payload schema (an event that fails it is
 * dead-lettered wherever it goes). Undefined: not recognised, or no identity (a discard or a dead letter).
 */
export function profileKeyOfPayload(raw: Json, events: readonly EventConfig[], now: number): string | undefined {
  for (const c of events) {
    if (c.mapping) throw new RangeError(`profileKeyOfPayload: event "${c.id}" has a mapping`);
    if (!recognises(c, raw, raw, now)) continue;
    const id = resolveIdentity(c, raw, now);
    return id === undefined ? undefined : profileKeyOf({ namespace: c.identity.namespace, id });
  }
  return undefined;
}

function timestampOf(xdm: Json, fallback: number): string {
  const t = xdm['timestamp'];
  // most producers already write what toISOString would give back: kept as it is (no parse and format per event)
  if (typeof t === 'string' && isCanonicalIso(t)) return t;
  const ms = typeof t === 'string' ? Date.parse(t) : typeof t === 'number' ? t : NaN;
  return new Date(Number.isFinite(ms) ? ms : fallback).toISOString();
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ`, every field in range except days past the month's end (checked apart). */
const ISO_UTC_MS = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const digits = (t: string, from: number, to: number) => {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + t.charCodeAt(i) - 48;
  return n;
};

/**
 * Whether `new Date(Date.parse(t)).toISOString() === t`: the form toISOString writes, with a day that exists
 * (`Date.parse` rolls Feb 30 over into March).
 */
export function isCanonicalIso(t: string): boolean {
  if (t.length !== 24 || !ISO_UTC_MS.test(t)) return false;
  const day = digits(t, 8, 10);
  if (day <= 28) return true;
  const month = digits(t, 5, 7);
  const year = digits(t, 0, 4);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : (MONTH_DAYS[month - 1] ?? 0));
}

/** See the module comment. `events` should already be in `recognitionOrder`. */
export async function normalizeEvent(input: NormalizeInput): Promise<NormalizeResult> {
  return normalizeEventNow(input);
}

/**
 * `normalizeEvent` that answers synchronously for a JSON event (only Avro, which may call the registry, gives a
 * promise): the normalize processor's path, one promise less per event. Throws what `normalizeEvent` rejects with.
 */
export function normalizeEventNow(input: NormalizeInput): NormalizeResult | Promise<NormalizeResult> {
  try {
    const buf = input.value;
    if (buf !== null && buf.length > 0 && buf.length <= input.maxBytes && isConfluentFramed(buf))
      return decodeAvro(buf, input.decodeAvro, input.registryRetry)
        .then((p) => fromParsed(input, p))
        .catch(budgetDead);
    return normalizeJson(input);
  } catch (err) {
    return budgetDead(err);
  }
}

/** A rule that worked past its budget on the event is the event's fault (dead letter); anything else is thrown. */
function budgetDead(err: unknown): NormalizeResult {
  if (isBudgetExceeded(err)) return dead(NormalizeCodes.ruleBudget, (err as Error).message);
  throw err;
}

function normalizeJson(input: NormalizeInput): NormalizeResult {
  const buf = input.value;
  if (buf === null || buf.length === 0) return dead(NormalizeCodes.invalidJson, 'empty event');
  if (buf.length > input.maxBytes)
    return dead(NormalizeCodes.tooLarge, `event of ${buf.length} bytes exceeds the ${input.maxBytes}-byte limit`);
  return fromParsed(input, parsePayload(buf));
}

function fromParsed(input: NormalizeInput, parsed: Parsed): NormalizeResult {
  if (!('raw' in parsed)) return parsed;
  const raw = parsed.raw;
  for (const c of input.events) {
    const xdm = c.mapping ? applyMapping(raw, c.mapping) : raw;
    if (!recognises(c, raw, xdm, input.now)) continue;
    if (c.payloadSchema) {
      const invalid = payloadProblem(c.payloadSchema, raw);
      if (invalid !== undefined) return dead(NormalizeCodes.payloadInvalid, `event "${c.id}": ${invalid}`);
    }
    const id = resolveIdentity(c, xdm, input.now);
    if (id === undefined)
      return dead(NormalizeCodes.noIdentity, `event "${c.id}": no ${c.identity.namespace} identity in the payload`);
    const eventId = xdm['_id'];
    const eventType = xdm['eventType'];
    return {
      kind: 'event',
      event: {
        id: typeof eventId === 'string' && eventId !== '' ? eventId : input.fallbackId,
        timestamp: timestampOf(xdm, input.fallbackTimestamp),
        eventType: typeof eventType === 'string' ? eventType : c.id,
        eventConfigId: c.id,
        identity: { namespace: c.identity.namespace, id },
        xdm,
      },
    };
  }
  return { kind: 'discard', reason: UNRECOGNIZED };
}
