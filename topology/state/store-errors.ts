/** Typed errors of the state-store layer; codes and retryability come from topology/'s registry. */
import { JoError } from '../api/errors.js';
import { topologyCodes, type TopologyCode } from '../codes.js';

/** The state-store codes of topology/'s registry (codes.ts). */
export type StateStoreErrorCode = Extract<TopologyCode, `STORE_${string}`>;

export class StateStoreError extends JoError {
  readonly retryable: boolean;
  constructor(
    override readonly code: StateStoreErrorCode,
    message: string,
    cause?: unknown,
  ) {
    super(code, message, cause === undefined ? undefined : { cause });
    this.retryable = topologyCodes.retryable(code);
  }
}

const SAFE_SEGMENT = /^[A-Za-z0-9._-]{1,200}$/;

/** Task ids and store names become directory names: one segment, no `..`, nothing a shell or FS would mangle. */
export function assertPathSegment(what: string, value: string): void {
  if (!SAFE_SEGMENT.test(value) || value === '.' || value === '..') {
    throw new StateStoreError('STORE_INVALID_NAME', `${what} ${JSON.stringify(value)} is not a safe directory name`);
  }
}
