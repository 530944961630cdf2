/**
 * connectors/' error codes (see topology's `defineErrorCodes`): action calls, data-source calls, secrets and
 * commands. Action connectors put them in a result's `error` (`CODE: message`); the data-source client throws
 * them to the engine. docs/errors.md is generated from this table.
 */
import { defineErrorCodes } from '../topology/index.js';

export const connectorCodes = defineErrorCodes('connectors', {
  COMMAND_INVALID: {
    retryable: false,
    doc: 'a record on `jo.commands.<connector>` is not JSON or not a valid command; it was dead-lettered',
  },
  HTTP_TIMEOUT: {
    retryable: true,
    doc: 'an action endpoint did not answer within the attempt timeout (result `timedout`)',
  },
  HTTP_STATUS: {
    retryable: 'depends',
    doc: 'an action endpoint answered non-2xx (retried on 5xx and 429, not on 400/401/403/404/422)',
  },
  HTTP_NETWORK: {
    retryable: true,
    doc: 'an action endpoint could not be reached (connection refused/reset, DNS)',
  },
  DEADLINE_EXCEEDED: {
    retryable: false,
    doc: "a command's deadline passed after at least one call was made (also by a connector incarnation that crashed) and before an answer was recorded (result `timedout`, `attempts` ≥ 1)",
  },
  DEADLINE_EXPIRED: {
    retryable: false,
    doc: "a command's deadline passed before any call was made, e.g. while the connector was down (result `expired`, `attempts` 0, nothing sent)",
  },
  ATTEMPT_LOG_FAILED: {
    retryable: true,
    doc: 'a connector could not record an attempt on `jo.action-attempts` before calling; the call is not made and the connector resumes from its last committed offsets',
  },
  THROTTLE_DELAY_EXCEEDED: {
    retryable: false,
    doc: "a throttled action's command would have waited in the throttle queue longer than its `maxDelay` (or past its deadline); it was not sent (result `capped`, attempts 0)",
  },
  CAPPED: {
    retryable: false,
    doc: 'a command waited longer than `maxWaitMs` for a rate limit or concurrency cap (result `capped`)',
  },
  SECRET_UNRESOLVED: { retryable: false, doc: 'a `{env}`/`{file}` secret reference could not be resolved' },
  OAUTH_TOKEN_FAILED: {
    retryable: 'depends',
    doc: 'the OAuth2 token endpoint refused (4xx: no) or failed (5xx/unreachable: yes)',
  },
  URL_NOT_ALLOWED: {
    retryable: false,
    doc: 'the outbound policy (`JO_OUTBOUND_ALLOW`, docs/security.md) refuses the URL: an internal address in any spelling, a host outside the allow list, a templated scheme/host/port or credentials in the URL. At save: 400; at call time (after DNS resolution): an `error` result / data-source failure with `attempts` 0, nothing sent',
  },
  SECRET_REF_NOT_ALLOWED: {
    retryable: false,
    doc: 'a secret reference outside the secret policy: an `{env}` variable without the prefix (`JO_SECRET_`), a `{file}` with no secrets directory configured, outside it (`..`, symlink), not a regular file or over 64 KiB. At save: 400; at call time: an `error` result',
  },
  ORIGIN_MISMATCH: {
    retryable: false,
    doc: "a command's URL has another origin (scheme, host, port) than its action's configured URL: the action's credentials are not sent and no call is made (`error` result, `attempts` 0)",
  },
  CAMPAIGN_ADDRESS_INVALID: {
    retryable: false,
    doc: "a Campaign command's email, phone (E.164) or push target is malformed; no call is made",
  },
  CONNECTOR_INTERNAL: {
    retryable: false,
    doc: 'an unexpected failure inside a connector; the command still got an `error` result',
  },
  DATASOURCE_TIMEOUT: { retryable: true, doc: 'a data source did not answer within its `timeoutMs`' },
  DATASOURCE_HTTP_ERROR: { retryable: 'depends', doc: 'a data source answered non-2xx (5xx/429: yes, 4xx: no)' },
  DATASOURCE_NETWORK: { retryable: true, doc: 'a data source could not be reached' },
  DATASOURCE_CIRCUIT_OPEN: {
    retryable: true,
    doc: "the data source's circuit breaker is open; no call was made",
  },
  DATASOURCE_RATE_LIMITED: {
    retryable: true,
    doc: "a lookup waited longer than allowed for the data source's rate limit",
  },
  DATASOURCE_CONFIG_INVALID: {
    retryable: false,
    doc: "a data source's templates cannot produce a valid request (bad URL, forbidden path)",
  },
});

export type ConnectorCode = keyof typeof connectorCodes.codes;
