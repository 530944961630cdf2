/**
 * The journey test request (`POST /v1/journeys/:id/versions/:version/test`, and `jo test` from files): profiles,
 * events placed on a simulated timeline, canned responses for actions and data sources, an optional horizon.
 * `journeyTestProblems` checks a body once — shape, event times, and the size limits — and reports every problem
 * with a JSON pointer and a stable code, like every other configuration document.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IsoDuration } from './common.js';
import { parseDurationMs } from './duration.js';
import { pointer, schemaProblems, type ConfigProblem } from './problems.js';

/** One canned answer of an endpoint. Default: 200 with body `{}` and no latency. */
export const CannedResponse = Type.Object(
  {
    status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
    body: Type.Optional(Type.Unknown()),
    /** Simulated time the call takes (an action longer than its timeoutMs times out). */
    latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
  },
  { additionalProperties: false },
);
export type CannedResponse = Static<typeof CannedResponse>;

/** One response for every call, or a sequence used call after call (the last one repeats). */
export const CannedResponses = Type.Union([CannedResponse, Type.Array(CannedResponse, { minItems: 1, maxItems: 100 })]);
export type CannedResponses = Static<typeof CannedResponses>;

export const TestEvent = Type.Object(
  {
    /** ISO-8601 time of the event. */
    at: Type.Optional(Type.String({ format: 'date-time', maxLength: 64 })),
    /** Time after the test's start: an ISO-8601 duration (`P1D`) or milliseconds. */
    offset: Type.Optional(Type.Union([IsoDuration, Type.Integer({ minimum: 0 })])),
    /** The event as a producer would write it to `jo.events` (XDM, or raw JSON an event configuration maps). */
    event: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);
export type TestEvent = Static<typeof TestEvent>;

export const JourneyTestRequest = Type.Object(
  {
    /** Start of the simulated timeline; default: the earliest `at`, else 2026-01-01T00:00:00Z. */
    start: Type.Optional(Type.String({ format: 'date-time', maxLength: 64 })),
    /** How long after the start the simulation runs; default: past the last event by the journey's timeout. */
    horizon: Type.Optional(IsoDuration),
    /** Profile attributes by profile key (`<namespace>:<id>`), as `jo.profiles` would hold them. */
    profiles: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 512 }), Type.Unknown())),
    events: Type.Array(TestEvent),
    responses: Type.Optional(
      Type.Object(
        {
          actions: Type.Optional(Type.Record(Type.String(), CannedResponses)),
          datasources: Type.Optional(Type.Record(Type.String(), CannedResponses)),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type JourneyTestRequest = Static<typeof JourneyTestRequest>;

export interface JourneyTestLimits {
  /** Largest request, in bytes of its JSON text. */
  readonly maxRequestBytes: number;
  readonly maxEvents: number;
  readonly maxProfiles: number;
  /** Longest simulated timeline (start to horizon). */
  readonly maxHorizonMs: number;
  /** Inputs the simulation may process (events, timers fired, action results); more stop it with a 400. */
  readonly maxSimulatedInputs: number;
}

export const DEFAULT_JOURNEY_TEST_LIMITS: JourneyTestLimits = {
  maxRequestBytes: 512 * 1024,
  maxEvents: 1_000,
  maxProfiles: 1_000,
  maxHorizonMs: 400 * 24 * 3_600_000,
  maxSimulatedInputs: 20_000,
};

/** Start of the timeline when neither `start` nor any `at` says otherwise. */
export const DEFAULT_TEST_START = Date.UTC(2026, 0, 1);

/** Codes of journey test requests (README error-code table). */
export const JourneyTestCodes = {
  tooLarge: 'TEST_REQUEST_TOO_LARGE',
  tooManyEvents: 'TEST_TOO_MANY_EVENTS',
  tooManyProfiles: 'TEST_TOO_MANY_PROFILES',
  eventTime: 'TEST_EVENT_TIME',
  horizon: 'TEST_HORIZON',
  simulationTooLarge: 'TEST_SIMULATION_TOO_LARGE',
} as const;

function sizeProblems(body: JourneyTestRequest, limits: JourneyTestLimits): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (body.events.length > limits.maxEvents)
    out.push({
      pointer: '/events',
      code: JourneyTestCodes.tooManyEvents,
      message: `${body.events.length} events; at most ${limits.maxEvents} per test`,
    });
  const profiles = Object.keys(body.profiles ?? {}).length;
  if (profiles > limits.maxProfiles)
    out.push({
      pointer: '/profiles',
      code: JourneyTestCodes.tooManyProfiles,
      message: `${profiles} profiles; at most ${limits.maxProfiles} per test`,
    });
  return out;
}

function eventTimeProblems(body: JourneyTestRequest): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  body.events.forEach((e, i) => {
    const at = pointer('/events', i);
    if (e.at !== undefined && e.offset !== undefined)
      out.push({ pointer: at, code: JourneyTestCodes.eventTime, message: 'give "at" or "offset", not both' });
    if (typeof e.offset === 'string' && parseDurationMs(e.offset) === undefined)
      out.push({ pointer: pointer(at, 'offset'), code: JourneyTestCodes.eventTime, message: 'not a duration' });
  });
  return out;
}

/**
 * Every problem of a test request: JSON size, shape (`SCHEMA_*`), event times and limits (`TEST_*`). An empty list
 * means the body is a `JourneyTestRequest` within `limits`.
 */
export function journeyTestProblems(
  body: unknown,
  limits: JourneyTestLimits = DEFAULT_JOURNEY_TEST_LIMITS,
): ConfigProblem[] {
  const bytes = Buffer.byteLength(JSON.stringify(body ?? null), 'utf8');
  if (bytes > limits.maxRequestBytes)
    return [
      {
        pointer: '',
        code: JourneyTestCodes.tooLarge,
        message: `the test request is ${bytes} bytes; at most ${limits.maxRequestBytes}`,
      },
    ];
  const shape = schemaProblems(JourneyTestRequest, body);
  if (shape.length > 0) return shape;
  const req = body as JourneyTestRequest;
  const out = [...sizeProblems(req, limits), ...eventTimeProblems(req)];
  if (req.horizon !== undefined) {
    const ms = parseDurationMs(req.horizon) ?? Infinity;
    if (ms > limits.maxHorizonMs)
      out.push({
        pointer: '/horizon',
        code: JourneyTestCodes.horizon,
        message: `the horizon may be at most ${Math.floor(limits.maxHorizonMs / 86_400_000)} days`,
      });
  }
  return out;
}
