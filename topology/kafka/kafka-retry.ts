/** Retrying calls after transient broker errors, and telling those errors apart. */
import { systemTimer } from '../api/timer.js';

/** The kafkajs protocol error name (`CONCURRENT_TRANSACTIONS`, `UNKNOWN_TOPIC_OR_PARTITION`...), if any. */
export function kafkaErrorType(err: unknown): string | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : undefined;
}

export interface KafkaRetryOptions {
  /** Calls in all, the first included (default 10). */
  readonly attempts?: number;
  /** Which errors are worth another call (default: those kafkajs marks retriable). */
  readonly when?: (err: unknown) => boolean;
  /** Wait before call `attempt + 1` (default 200 ms × attempt). */
  readonly delayMs?: (attempt: number) => number;
  /** How to wait (topology passes its injected Timer's sleep). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Runs `fn`, calling it again after transient broker errors; other errors, and the last transient one, are thrown. */
export async function retryKafka<T>(fn: () => Promise<T>, opts: KafkaRetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 10;
  const when = opts.when ?? isRetriableKafkaError;
  const delayMs = opts.delayMs ?? ((attempt: number) => 200 * attempt);
  const sleep = opts.sleep ?? ((ms: number) => systemTimer.sleep(ms));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !when(err)) throw err;
      await sleep(delayMs(attempt));
    }
  }
}

/** True for broker errors that a retry can fix (leader moves, coordinator loading, metadata not yet propagated). */
export function isRetriableKafkaError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}
