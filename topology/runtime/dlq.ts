/**
 * Dead-letter records: the original key and value bytes with headers saying why and where from, named by the
 * application (`RuntimeNames.deadLetterHeaders`; the journey engine's are schemas/messages.ts `DlqHeaders`).
 */
import type { Headers, RawRecord } from '../api/record.js';
import type { DeadLetterHeaderNames } from '../api/runtime-names.js';

/** Codes the runtime itself puts on dead letters (a `JoError`'s own code wins when there is one). */
export const DLQ_CODES = {
  deserialization: 'DESERIALIZATION_FAILED',
  processing: 'PROCESSING_FAILED',
  /** An output over the size limit, replaced by its dead letter (key when small, no value). */
  outputTooLarge: 'OUTPUT_TOO_LARGE',
  /** A fetched batch could not be decompressed; its compressed bytes are the dead letter's value. */
  undecodableBatch: 'BATCH_UNDECODABLE',
} as const;

/** Longest error message header kept; longer messages are cut so a dead letter never fails to send. */
const MAX_MESSAGE = 4_000;

export function dlqHeaders(
  names: DeadLetterHeaderNames,
  code: string,
  message: string,
  source: RawRecord | undefined,
): Headers {
  const h: Record<string, string> = { ...(source?.headers ?? {}) };
  h[names.code] = code;
  h[names.message] = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
  if (source) {
    h[names.sourceTopic] = source.topic;
    h[names.sourcePartition] = String(source.partition);
    h[names.sourceOffset] = source.offset;
  }
  return h;
}
