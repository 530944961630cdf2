/**
 * processors/' error codes (see topology's `defineErrorCodes`): what the journey steps dead-letter and what the
 * journey domain throws. docs/errors.md is generated from this table.
 */
import { defineErrorCodes } from '../topology/index.js';

export const processorCodes = defineErrorCodes('processors', {
  EVENT_TOO_LARGE: { retryable: false, doc: 'an event is bigger than `limits.maxEventBytes`; dead-lettered' },
  EVENT_INVALID_JSON: { retryable: false, doc: 'an event is empty, not JSON, or not a JSON object; dead-lettered' },
  EVENT_INVALID_AVRO: {
    retryable: false,
    doc: "a Confluent-framed event's Avro body cannot be decoded with its schema; dead-lettered",
  },
  EVENT_UNKNOWN_SCHEMA: {
    retryable: false,
    doc: 'a Confluent-framed event names a schema id the registry does not know (or no registry is configured); dead-lettered',
  },
  EVENT_NO_IDENTITY: {
    retryable: false,
    doc: 'a recognised event has no identity at its configured path/expression nor in `identityMap`; dead-lettered',
  },
  EVENT_PAYLOAD_INVALID: {
    retryable: false,
    doc: "a recognised event fails its configuration's `payloadSchema`; dead-lettered",
  },
  SCHEMA_REGISTRY_UNAVAILABLE: {
    retryable: true,
    doc: 'the schema registry failed or did not answer within `schemaRegistryTimeoutMs` while decoding an Avro event (2 retries included): the event waits, its partition paused, and is tried again after `registryWaitMs` (doubling, up to 8×); never dead-lettered for this',
  },
  RULE_EVAL_FAILED: {
    retryable: false,
    doc: 'a json-logic rule is outside the journey dialect or failed at run time (the instance takes its error path)',
  },
  RULE_BUDGET_EXCEEDED: {
    retryable: false,
    doc: 'a json-logic evaluation took more operations, or built a longer array or string, than its budget allows: the event is dead-lettered, or the instance takes its error path (`ruleFailed`)',
  },
  RULE_BAD_DURATION: { retryable: false, doc: 'a time helper got a string that is not an ISO-8601 duration' },
  RULE_ENGINE_UNPATCHED: {
    retryable: false,
    doc: 'json-logic-js was installed without its patch (patches/json-logic-js+2.0.5.patch, applied by the postinstall): run `npm ci`, or `npx patch-package` after an install with `--ignore-scripts`; the engine does not start',
  },
  DATASOURCE_UNAVAILABLE: {
    retryable: false,
    doc: 'a node reads a data source that is not configured, or no data-source fetcher is; the instance takes its error path (`dataSourceFailed`)',
  },
  DATASOURCE_NO_ANSWER: {
    retryable: true,
    doc: "a data-source fetch did not settle within the data source's timeout plus `datasourceGraceMs`; the instance takes its error path (`dataSourceFailed`)",
  },
  JOURNEY_INVALID: {
    retryable: false,
    doc: '`defineJourney` was given a journey the compiler rejects (tools and tests)',
  },
  ACTION_RESULT_INVALID: {
    retryable: false,
    doc: 'a `jo.action-results` record is not an action result; dead-lettered',
  },
  CONTROL_INVALID: {
    retryable: false,
    doc: 'a `jo.controls` record is not a control record keyed by profile key; dead-lettered',
  },
  CONNECTOR_UNKNOWN: {
    retryable: false,
    doc: 'a command is for a connector type with no command topic in this topology',
  },
  TIMER_RECORD_INVALID: {
    retryable: false,
    doc: "a timer-index record (`jo.timers` or the local timer store) is not JSON or not a timer; dead-lettered (key and bytes) and deleted, the partition's other timers fire",
  },
  TIMER_FIRE_FAILED: {
    retryable: false,
    doc: "firing a due timer failed with an error a retry cannot fix; the timer is dead-lettered (its JSON as value) and removed. A retryable error instead aborts the task's transaction and the timer fires again after the relaunch",
  },
});

export type ProcessorCode = keyof typeof processorCodes.codes;
