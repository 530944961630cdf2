/**
 * ops/' error codes (see topology's `defineErrorCodes`): the admin API's answers (with their HTTP status) and the
 * `jo` command's. docs/errors.md is generated from this table.
 */
import { defineErrorCodes } from '../topology/index.js';

export const opsCodes = defineErrorCodes('ops', {
  INVALID_INPUT: {
    retryable: false,
    status: 400,
    doc: 'the body or path is invalid; `errors` lists every problem as `{pointer, code, message}`',
  },
  BODY_INVALID_JSON: { retryable: false, status: 400, doc: 'the body is not JSON' },
  BODY_TOO_DEEP: { retryable: false, status: 400, doc: 'the body nests deeper than 100 levels' },
  BODY_FORBIDDEN_KEY: {
    retryable: false,
    status: 400,
    doc: 'the body has a `__proto__`, `constructor` or `prototype` key',
  },
  BODY_TOO_LARGE: {
    retryable: false,
    status: 413,
    doc: 'the body is over the limit (`JO_API_BODY_LIMIT`, 1 MiB by default)',
  },
  UNSUPPORTED_MEDIA_TYPE: { retryable: false, status: 415, doc: 'bodies must be `application/json`' },
  BAD_REQUEST: { retryable: false, status: 400, doc: 'any other malformed request' },
  UNAUTHORIZED: { retryable: false, status: 401, doc: 'missing or unknown bearer token' },
  FORBIDDEN: { retryable: false, status: 403, doc: 'a `read` token tried to write' },
  NOT_FOUND: { retryable: false, status: 404, doc: 'no such resource, journey, version or route' },
  RESOURCE_IN_USE: {
    retryable: false,
    status: 409,
    doc: 'the resource is used by live journeys (listed in `journeys`); close them first',
  },
  JOURNEY_STATE_CONFLICT: {
    retryable: false,
    status: 409,
    doc: 'the lifecycle step does not apply (e.g. publish a version that is not a draft, close with nothing live)',
  },
  IMPORT_CONFLICT: {
    retryable: false,
    status: 409,
    doc: "the bundle's resources differ from existing ones with the same ids (retry with `?overwrite=true`)",
  },
  EXPORT_INCOMPLETE: { retryable: false, status: 409, doc: 'a resource the version references was deleted since' },
  NOT_READY: { retryable: true, status: 503, doc: 'the API is still replaying `jo.config`' },
  REPORT_NOT_READY: {
    retryable: true,
    status: 503,
    doc: 'the API is still reading `jo.reports` (or the topic does not exist yet); retry after `Retry-After` seconds',
  },
  CONFIG_WRITE_FAILED: { retryable: true, status: 503, doc: 'the broker did not return an offset for a config write' },
  CONFIG_VIEW_LAGGING: {
    retryable: true,
    status: 503,
    doc: "the broker acked the write but the API's view did not show it in time; the write is durable",
  },
  CONTROLS_UNAVAILABLE: {
    retryable: true,
    status: 503,
    doc: 'a profile control (manual exit) could not be written: `jo.controls` is missing or the broker did not ack',
  },
  PROFILE_UNAVAILABLE: {
    retryable: true,
    status: 503,
    doc: 'the partition holding the profile has no queryable owner right now (rebalance, restore, process down); retry after `Retry-After` seconds',
  },
  INTERNAL: { retryable: false, status: 500, doc: 'a bug; the API log has the details' },
  FILE_UNREADABLE: { retryable: false, doc: '`jo validate`: a file could not be read' },
  PORT_IN_USE: {
    retryable: false,
    doc: '`jo start`: a port it would listen on (or, with `--dev`, a port of the broker or sample endpoint it would start) is taken; the message names the variable that moves it',
  },
  PORT_INVALID: { retryable: false, doc: '`jo start`: a port variable is not a number from 0 to 65535' },
  KIND_UNKNOWN: { retryable: false, doc: "`jo validate`: the file's resource kind cannot be told; pass `--kind`" },
});

export type OpsCode = keyof typeof opsCodes.codes;
