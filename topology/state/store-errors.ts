/** Typed errors of the state-store layer (codes listed in the README). */
import { JoError } from '../api/errors.js';

/**
 * Codes:
 * - `STORE_OPEN_FAILED` (retryable): RocksDB could not open the directory, e.g. still locked by a closing owner.
 * - `STORE_IO` (terminal): a RocksDB read or write failed; the task must be closed and its state rebuilt.
 * - `STORE_CLOSED` (terminal): the store was used after `close()` — a runtime bug.
 * - `STORE_INVALID_NAME` (terminal): a task id or store name is not a safe single path segment.
 * - `STORE_CHECKPOINT_INVALID` (terminal): a checkpoint file could not be parsed, or points beyond the changelog
 *   end; the caller wipes the state and restores from the earliest offset.
 * - `STORE_RESTORE_FAILED` (retryable): reading the changelog failed (broker, missing partition).
 * - `STORE_RESTORE_ABORTED` (retryable): the restore was aborted through its AbortSignal.
 * - `STORE_CHANGELOG_INVALID` (terminal): a changelog record cannot be applied (no key).
 */
export type StateStoreErrorCode =
  | 'STORE_OPEN_FAILED'
  | 'STORE_IO'
  | 'STORE_CLOSED'
  | 'STORE_INVALID_NAME'
  | 'STORE_CHECKPOINT_INVALID'
  | 'STORE_RESTORE_FAILED'
  | 'STORE_RESTORE_ABORTED'
  | 'STORE_CHANGELOG_INVALID';

const RETRYABLE: ReadonlySet<StateStoreErrorCode> = new Set([
  'STORE_OPEN_FAILED',
  'STORE_RESTORE_FAILED',
  'STORE_RESTORE_ABORTED',
]);

export class StateStoreError extends JoError {
  readonly retryable: boolean;
  constructor(
    override readonly code: StateStoreErrorCode,
    message: string,
    cause?: unknown,
  ) {
    super(code, message, cause === undefined ? undefined : { cause });
    this.retryable = RETRYABLE.has(code);
  }
}

const SAFE_SEGMENT = /^[A-Za-z0-9._-]{1,200}$/;

/** Task ids and store names become directory names: one segment, no `..`, nothing a shell or FS would mangle. */
export function assertPathSegment(what: string, value: string): void {
  if (!SAFE_SEGMENT.test(value) || value === '.' || value === '..') {
    throw new StateStoreError('STORE_INVALID_NAME', `${what} ${JSON.stringify(value)} is not a safe directory name`);
  }
}
