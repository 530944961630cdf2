/** Start-up helper for broker calls that may hit transient errors. */
import { isRetriableKafkaError } from '../topology/index.js';

/**
 * Runs `fn`, retrying retriable broker errors with linear backoff (right after topic creation a broker may still
 * answer NOT_LEADER for the new partitions). Other errors, and the last retriable one, are thrown.
 */
export async function withKafkaRetry<T>(
  fn: () => Promise<T>,
  opts: { attempts?: number; backoffMs?: number } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 10;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isRetriableKafkaError(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, (opts.backoffMs ?? 200) * i));
    }
  }
}
