/**
 * Typed errors with stable codes. Every error says whether a retry can help:
 * terminal → dead-letter (or fail fast at start-up), retryable → retry with backoff.
 * Codes are data: each folder throws through its registry (error-codes.ts, `defineErrorCodes`), listed in
 * docs/errors.md.
 */
export abstract class JoError extends Error {
  abstract readonly retryable: boolean;
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Retrying will not help: bad input, bad config, contract violation. */
export class TerminalError extends JoError {
  readonly retryable = false;
}

/** May succeed later: broker unavailable, endpoint down, timeout. */
export class RetryableError extends JoError {
  readonly retryable = true;
}

/**
 * A processor cannot handle the record it was given *yet* — a service it needs (the schema registry) is down or
 * not answering — and has done nothing with it: nothing forwarded, written or dead-lettered. The Kafka runtime
 * then pauses the task's input partitions, waits `retryAfterMs` (or until the task stops) and hands the same record
 * again: the record waits instead of being dead-lettered. `reason` is the coded error that made it wait. Outside
 * the Kafka runtime (test driver, in-memory runner) it is an ordinary retryable error.
 */
export class RetryLaterError extends RetryableError {
  constructor(
    readonly reason: JoError,
    readonly retryAfterMs: number,
  ) {
    super(reason.code, reason.message, { cause: reason });
  }
}

/** Startup configuration problems; `problems` lists every one found, not just the first. */
export class ConfigError extends TerminalError {
  constructor(readonly problems: readonly string[]) {
    super('CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof JoError ? err.retryable : false;
}

/**
 * A promise rejected with `err` exactly as thrown (whatever it is): for functions that return promises without
 * being async (hot paths) yet must turn a synchronous throw into a rejection.
 */
export async function rejectWith(err: unknown): Promise<never> {
  throw err;
}
