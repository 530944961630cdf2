/**
 * Errors of the admin API: a `JoError` with one stable code of ops/codes.ts, whose registry row gives the HTTP
 * status and whether a retry can help (docs/errors.md); for 400 the full list of configuration problems with
 * JSON pointers. Route handlers throw these; the app's error handler renders them as
 * `{ code, message, errors?, journeys? }`.
 */
import type { ConfigProblem, ProblemCode } from '../../schemas/index.js';
import { JoError, type CodeSpec } from '../../topology/index.js';
import { opsCodes, type OpsCode } from '../codes.js';

/** The HTTP status of an ops/ code (500 for one that has none: it should not reach a client). */
export function statusOf(code: OpsCode): number {
  const spec: CodeSpec = opsCodes.codes[code];
  return spec.status ?? 500;
}

/** A problem in a 400 body: a schemas/ code, or one of the API's own (ops/codes.ts: body guard, `jo validate`). */
export type ApiProblem = ConfigProblem<ProblemCode | OpsCode>;

export class ApiError extends JoError {
  readonly retryable: boolean;
  readonly statusCode: number;
  constructor(
    override readonly code: OpsCode,
    message: string,
    readonly details: { errors?: readonly ApiProblem[]; journeys?: readonly string[] } = {},
  ) {
    super(code, message);
    this.statusCode = statusOf(code);
    this.retryable = opsCodes.retryable(code);
  }
}

/** 400 with every problem found. */
export function invalid(errors: readonly ApiProblem[], message = 'the request is invalid'): ApiError {
  return new ApiError('INVALID_INPUT', message, { errors });
}

export function notFound(what: string): ApiError {
  return new ApiError('NOT_FOUND', `${what} does not exist`);
}

/** 409: the request conflicts with the current state (`RESOURCE_IN_USE`, `JOURNEY_STATE_CONFLICT`, ...). */
export function conflict(code: OpsCode, message: string, journeys?: readonly string[]): ApiError {
  return new ApiError(code, message, journeys ? { journeys } : {});
}
