/**
 * Dead-letter records: the original key and value bytes with headers saying why and where from. The header names
 * are those of the product contract (schemas/messages.ts `DlqHeaders`; a unit test keeps the two in step, since
 * topology/ does not import schemas/).
 */
import type { Headers, RawRecord } from '../api/record.js';

export const DLQ_HEADERS = {
  code: 'jo.error.code',
  message: 'jo.error.message',
  sourceTopic: 'jo.source.topic',
  sourcePartition: 'jo.source.partition',
  sourceOffset: 'jo.source.offset',
} as const;

/** Codes the runtime itself puts on dead letters (a `JoError`'s own code wins when there is one). */
export const DLQ_CODES = {
  deserialization: 'DESERIALIZATION_FAILED',
  processing: 'PROCESSING_FAILED',
  /** An output over the size limit, replaced by its dead letter (key when small, no value). */
  outputTooLarge: 'OUTPUT_TOO_LARGE',
  /** A fetched batch could not be decompressed; its compressed bytes are the dead letter's value. */
  undecodableBatch: 'BATCH_UNDECODABLE',
} as const;

/** Longest `jo.error.message` header kept; longer messages are cut so a dead letter never fails to send. */
const MAX_MESSAGE = 4_000;

export function dlqHeaders(code: string, message: string, source: RawRecord | undefined): Headers {
  const h: Record<string, string> = { ...(source?.headers ?? {}) };
  h[DLQ_HEADERS.code] = code;
  h[DLQ_HEADERS.message] = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
  if (source) {
    h[DLQ_HEADERS.sourceTopic] = source.topic;
    h[DLQ_HEADERS.sourcePartition] = String(source.partition);
    h[DLQ_HEADERS.sourceOffset] = source.offset;
  }
  return h;
}
