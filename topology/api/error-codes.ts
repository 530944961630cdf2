/**
 * Error codes as data (after fastify's `lib/errors.js`): every folder keeps ONE registry of its stable codes —
 * whether a retry can help, the HTTP status where the code reaches an HTTP client, and a one-line doc — and
 * throws its errors through it, so a code that is not in a registry does not type-check. docs/errors.md is
 * generated from the registries (ops/ gathers them) and a test fails when it is stale.
 */
import { JoError, RetryableError, TerminalError } from './errors.js';

/** One row of a registry. */
export interface CodeSpec {
  /**
   * Whether retrying the same thing can help: retryable → retry with backoff, terminal → dead-letter or report.
   * `depends` when the occurrence decides (e.g. 5xx vs 4xx); the thrower then says which.
   */
  readonly retryable: boolean | 'depends';
  /** HTTP status answered when the code reaches an HTTP client (the admin API). */
  readonly status?: number;
  /** One line for docs/errors.md: what happened and what the engine did about it. */
  readonly doc: string;
}

export type CodeTable = Readonly<Record<string, CodeSpec>>;

/** A folder's registry: its codes, and the one way to make an error with one of them. */
export interface ErrorCodes<T extends CodeTable> {
  /** The folder the codes belong to (a heading of docs/errors.md). */
  readonly folder: string;
  readonly codes: T;
  /**
   * A `RetryableError` or a `TerminalError`, as the registry says; for a `depends` code `opts.retryable`
   * decides (terminal when it is not given).
   */
  error(code: keyof T & string, message: string, opts?: { cause?: unknown; retryable?: boolean }): JoError;
  /** Whether an error with this code is retryable (`depends` codes: false). */
  retryable(code: keyof T & string): boolean;
}

export function defineErrorCodes<const T extends CodeTable>(folder: string, codes: T): ErrorCodes<T> {
  const retryable = (code: keyof T & string, given?: boolean): boolean => {
    const r = codes[code]?.retryable;
    return r === 'depends' ? (given ?? false) : r === true;
  };
  return {
    folder,
    codes,
    retryable: (code) => retryable(code),
    error(code, message, opts = {}) {
      const options = opts.cause === undefined ? undefined : { cause: opts.cause };
      return retryable(code, opts.retryable)
        ? new RetryableError(code, message, options)
        : new TerminalError(code, message, options);
    },
  };
}
