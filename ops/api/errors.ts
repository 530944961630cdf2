/**
 * Errors of the admin API: one status, one stable code (docs/errors.md), and for 400 the full list of
 * configuration problems with JSON pointers. Route handlers throw these; the app's error handler renders them as
 * `{ code, message, errors?, journeys? }`.
 */
import type { ConfigProblem } from '../../schemas/index.js';

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: { errors?: readonly ConfigProblem[]; journeys?: readonly string[] } = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 400 with every problem found. */
export function invalid(errors: readonly ConfigProblem[], message = 'the request is invalid'): ApiError {
  return new ApiError(400, 'INVALID_INPUT', message, { errors });
}

export function notFound(what: string): ApiError {
  return new ApiError(404, 'NOT_FOUND', `${what} does not exist`);
}

export function conflict(code: string, message: string, journeys?: readonly string[]): ApiError {
  return new ApiError(409, code, message, journeys ? { journeys } : {});
}
