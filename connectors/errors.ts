/**
 * Typed errors of the connectors, with stable codes (listed in docs/errors.md). Action connectors turn them into a
 * result's `error` text (`CODE: message`); the data-source client throws them to the engine.
 */
import { JoError, RetryableError, TerminalError } from '../topology/index.js';
import type { ConnectorCode } from './codes.js';

export type { ConnectorCode };

/** The codes of connectors/codes.ts by what went wrong, for throw sites. */
export const ConnectorCodes = {
  /** A command on `jo.commands.<connector>` is not JSON or not a valid command (→ DLQ). */
  commandInvalid: 'COMMAND_INVALID',
  /** An HTTP attempt (or the whole call) ran out of time. */
  httpTimeout: 'HTTP_TIMEOUT',
  /** The endpoint answered a non-2xx status. */
  httpStatus: 'HTTP_STATUS',
  /** Connection refused/reset, DNS, TLS: no HTTP answer at all. */
  httpNetwork: 'HTTP_NETWORK',
  /** The command's deadline passed after a call was made, before an answer was recorded (`timedout`). */
  deadlineExceeded: 'DEADLINE_EXCEEDED',
  /** The command's deadline passed before any call was made (`expired`, attempts 0). */
  deadlineExpired: 'DEADLINE_EXPIRED',
  /** An attempt could not be recorded durably before the call (the call is not made). */
  attemptLogFailed: 'ATTEMPT_LOG_FAILED',
  /** A throttled command would wait in the throttle queue past its `maxDelay` (`capped`, nothing sent). */
  throttleDelayExceeded: 'THROTTLE_DELAY_EXCEEDED',
  /** Over the rate limit or the concurrency cap for longer than the throttle wait. */
  capped: 'CAPPED',
  /** A SecretRef could not be resolved (env variable unset, file unreadable). */
  secretUnresolved: 'SECRET_UNRESOLVED',
  /** The outbound policy does not allow the URL or any address its host resolves to; nothing was sent. */
  urlNotAllowed: 'URL_NOT_ALLOWED',
  /** The command's URL has another origin than its action's configured URL: its credentials stay home. */
  originMismatch: 'ORIGIN_MISMATCH',
  /** A secret reference outside the secret policy (env prefix, secrets directory, file type or size). */
  secretRefNotAllowed: 'SECRET_REF_NOT_ALLOWED',
  /** The OAuth2 token endpoint refused or answered garbage. */
  oauthTokenFailed: 'OAUTH_TOKEN_FAILED',
  /** Campaign: the target address is missing or malformed for the channel. */
  campaignAddressInvalid: 'CAMPAIGN_ADDRESS_INVALID',
  /** An unexpected failure inside the connector (a bug); the command still gets a result. */
  connectorInternal: 'CONNECTOR_INTERNAL',
  /** Data source: the call did not answer in `timeoutMs`. */
  datasourceTimeout: 'DATASOURCE_TIMEOUT',
  /** Data source: non-2xx answer. */
  datasourceHttpError: 'DATASOURCE_HTTP_ERROR',
  /** Data source: no HTTP answer (connection failure). */
  datasourceNetwork: 'DATASOURCE_NETWORK',
  /** Data source: the circuit breaker is open; the endpoint is not called. */
  datasourceCircuitOpen: 'DATASOURCE_CIRCUIT_OPEN',
  /** Data source: over its rate limit for longer than the wait allowed. */
  datasourceRateLimited: 'DATASOURCE_RATE_LIMITED',
  /** Data source: the template or configuration cannot produce a request. */
  datasourceConfigInvalid: 'DATASOURCE_CONFIG_INVALID',
} as const satisfies Record<string, ConnectorCode>;

/** A failure an endpoint or the network may not repeat (timeouts, 5xx, 429, connection errors). */
export class ConnectorRetryableError extends RetryableError {
  constructor(
    code: ConnectorCode,
    message: string,
    readonly httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** A failure retrying will not fix (4xx, bad secrets, bad input). */
export class ConnectorTerminalError extends TerminalError {
  constructor(
    code: ConnectorCode,
    message: string,
    readonly httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/**
 * Thrown by the data-source client; `code` is one of the `DATASOURCE_*` codes or `SECRET_UNRESOLVED` /
 * `OAUTH_TOKEN_FAILED`. `retryable` is false for 4xx answers and configuration problems.
 */
export class DataSourceError extends JoError {
  constructor(
    code: ConnectorCode,
    message: string,
    readonly datasource: string,
    readonly retryable: boolean,
    readonly httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
