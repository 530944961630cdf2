/**
 * schemas/' problem codes: every `ConfigProblem` code the validators, the journey compiler and the config view
 * report (all terminal: the document must change). Plain data, so that schemas/ depends on nothing; ops/ gathers
 * it with the other folders' registries into docs/errors.md.
 */
export const schemaCodes = {
  SCHEMA_TYPE: { retryable: false, doc: 'a configuration value has the wrong JSON type (pointer says where)' },
  SCHEMA_REQUIRED: { retryable: false, doc: 'a required configuration property is missing' },
  SCHEMA_UNKNOWN_PROPERTY: {
    retryable: false,
    doc: 'a configuration object has a property the schema does not define (typo protection)',
  },
  SCHEMA_PATTERN: {
    retryable: false,
    doc: 'a string does not match its pattern (ids, ISO-8601 durations, secret env names)',
  },
  SCHEMA_FORMAT: { retryable: false, doc: 'a string is not in its format (e.g. `uri`)' },
  SCHEMA_TOO_SHORT: { retryable: false, doc: 'a string, array or object is below its minimum size' },
  SCHEMA_TOO_LONG: { retryable: false, doc: 'a string, array or object is over its maximum size' },
  SCHEMA_RANGE: { retryable: false, doc: 'a number is outside its allowed range' },
  SCHEMA_ENUM: { retryable: false, doc: 'a value is not one of the allowed values (node `type`, `method`, ...)' },
  SCHEMA_INVALID: { retryable: false, doc: 'any other schema violation' },
  JOURNEY_START_UNKNOWN: { retryable: false, doc: "the journey's `start` names no node" },
  NODE_REF_UNKNOWN: { retryable: false, doc: 'a `next`, `otherwise`, `onError` or `onTimeout` names no node' },
  NODE_UNREACHABLE: { retryable: false, doc: 'a node cannot be reached from `start`' },
  JOURNEY_CYCLE: { retryable: false, doc: 'the node graph has a cycle (journeys are acyclic)' },
  JOURNEY_TOO_MANY_NODES: { retryable: false, doc: 'more nodes than allowed (50 by default)' },
  NODE_ID_FORBIDDEN: { retryable: false, doc: 'a node id is `__proto__`, `constructor` or `prototype`' },
  EVENT_TIMEOUT_MISSING: { retryable: false, doc: 'an `event` node has `onTimeout` but no `timeout`' },
  REF_UNKNOWN_EVENT: { retryable: false, doc: 'a referenced event configuration does not exist' },
  REF_UNKNOWN_ACTION: { retryable: false, doc: 'a referenced action does not exist' },
  REF_UNKNOWN_DATASOURCE: {
    retryable: false,
    doc: 'a referenced data source (`datasources.<id>` in a rule or template) does not exist',
  },
  REF_UNKNOWN_NODE: { retryable: false, doc: 'an `actions.<nodeId>` path names no action node' },
  DURATION_INVALID: { retryable: false, doc: 'not an ISO-8601 duration' },
  DURATION_TOO_LONG: { retryable: false, doc: 'a journey timeout, wait or re-entrance period is over 90 days' },
  DURATION_TOO_SHORT: {
    retryable: false,
    doc: 'a duration that must be positive is zero (journey timeout, cap window, throttle `maxDelay`)',
  },
  DURATION_EXCEEDS_TIMEOUT: { retryable: false, doc: 'a wait or event timeout is longer than the journey timeout' },
  TIMEZONE_INVALID: { retryable: false, doc: '`timezone` is not an IANA time zone' },
  RULE_UNKNOWN_OPERATOR: { retryable: false, doc: 'a json-logic rule uses an operator outside the allowed set' },
  RULE_FORBIDDEN_KEY: {
    retryable: false,
    doc: 'a rule or params object has a `__proto__`, `constructor` or `prototype` key',
  },
  RULE_FORBIDDEN_PATH: { retryable: false, doc: 'a `var`/`missing`/identity/mapping path reaches a prototype' },
  RULE_DYNAMIC_PATH: { retryable: false, doc: 'a `var` path is computed by a rule instead of a literal string' },
  RULE_UNKNOWN_ROOT: {
    retryable: false,
    doc: 'a `var` path does not start with event, events, profile, datasources, actions, journey or now',
  },
  RULE_TOO_DEEP: { retryable: false, doc: 'a rule is nested deeper than 64 levels' },
  SPLIT_WEIGHT_INVALID: { retryable: false, doc: 'a split weight is not a positive number' },
  PROFILE_PATH_INVALID: {
    retryable: false,
    doc: 'an `updateProfile` attribute path is empty or reaches a prototype',
  },
  PROFILE_UPDATE_EMPTY: { retryable: false, doc: 'an `updateProfile` node has neither `set` nor `remove`' },
  JUMP_TARGET_NOT_LIVE: { retryable: false, doc: 'a `jump` node names a journey that has no live version' },
  JUMP_CYCLE: {
    retryable: false,
    doc: 'following `jump` nodes from this journey leads back to it (refused at save and publish)',
  },
  THROTTLE_DELAY_TOO_LONG: { retryable: false, doc: "an action's `throttle.maxDelay` is over PT6H" },
  THROTTLE_WITH_RATE_LIMIT: {
    retryable: false,
    doc: 'an action sets both `throttle` (queue over the rate) and `rateLimit` (cap over the rate)',
  },
  ENTRY_WINDOW_INVALID: { retryable: false, doc: '`endAt` is not after `startAt`' },
  ENTRY_INVALID: {
    retryable: false,
    doc: 'a journey entry needs exactly one of `event` or `audience` (+ `schedule`); an audience reads only the profile',
  },
  AUDIENCE_SCHEDULE_INVALID: {
    retryable: false,
    doc: 'an audience `schedule` is neither `once` nor a valid five-field cron expression',
  },
  EXIT_CRITERION_DUPLICATE: {
    retryable: false,
    doc: 'a journey lists the same exit event twice without a condition',
  },
  TEST_REQUEST_TOO_LARGE: {
    retryable: false,
    doc: "journey test (API 400): the test request's JSON is over its limit (512 KiB)",
  },
  TEST_TOO_MANY_EVENTS: { retryable: false, doc: 'journey test (API 400): more events than a test may hold (1,000)' },
  TEST_TOO_MANY_PROFILES: {
    retryable: false,
    doc: 'journey test (API 400): more profiles than a test may hold (1,000)',
  },
  TEST_EVENT_TIME: {
    retryable: false,
    doc: "journey test (API 400): an event has both `at` and `offset`, a bad offset, or a time before the test's start",
  },
  TEST_HORIZON: {
    retryable: false,
    doc: 'journey test (API 400): the simulated time span is over the limit (400 days)',
  },
  TEST_SIMULATION_TOO_LARGE: {
    retryable: false,
    doc: 'journey test (API 400): the run needs more than 20,000 inputs (events, timers fired, action results)',
  },
  SECRET_LITERAL: {
    retryable: false,
    doc: 'a secret is given in clear (auth field or credential header) where a `{env}`/`{file}` reference is expected',
  },
  URL_INVALID: { retryable: false, doc: 'a data source or action URL is not http(s) with a literal host' },
  TEMPLATE_FORBIDDEN_PATH: { retryable: false, doc: 'a `{{path}}` template reaches a prototype' },
  PAYLOAD_SCHEMA_INVALID: { retryable: false, doc: "an event's `payloadSchema` is not a valid JSON Schema" },
  PAYLOAD_SCHEMA_UNSAFE_PATTERN: {
    retryable: false,
    doc: "a `pattern` of an event's `payloadSchema` cannot run on the linear-time (RE2) engine: look-around or back-references",
  },
  ID_MISMATCH: { retryable: false, doc: "the body's `id` differs from the id in the URL or record key" },
  CONFIG_RECORD_INVALID: {
    retryable: false,
    doc: 'a `jo.config` record value is not JSON; the view keeps the previous value',
  },
  CONFIG_KEY_INVALID: { retryable: false, doc: 'a `jo.config` record key is not `<kind>/<id>`; the record is ignored' },
} as const satisfies Readonly<Record<string, { readonly retryable: false; readonly doc: string }>>;

export type SchemaCode = keyof typeof schemaCodes;
