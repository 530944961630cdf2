/** Conversions between kafkajs messages and the runtime's records. */
import type { FetchedMessage } from './port-client.js';
import type { Headers, RawRecord } from '../api/record.js';

/**
 * Buffers up to this size under a record's bytes are used in place, not copied: at least Node's allocation pool
 * (8 KiB on Node 20, 64 KiB on Node 24), whose slabs small buffers share anyway.
 */
export const DETACH_ABOVE = Math.max(16 * 1024, Buffer.poolSize);

/** The headers of every record that has none (most): one shared, frozen object instead of one per record. */
const NO_HEADERS: Headers = Object.freeze({});

/** Kafka headers as UTF-8 strings (a repeated header keeps its last value). */
export function decodeHeaders(h: FetchedMessage['headers']): Headers {
  if (!h) return NO_HEADERS;
  let out: Record<string, string> | undefined;
  for (const k in h) {
    const v = h[k];
    if (v === undefined) continue;
    const last: Buffer | string | undefined = isList(v) ? v[v.length - 1] : v;
    if (last === undefined) continue;
    out ??= {};
    out[k] = Buffer.isBuffer(last) ? last.toString('utf8') : last;
  }
  return out ?? NO_HEADERS;
}

/** A fetched message of `topic`/`partition` as the runtime's record. */
export function toRawRecord(topic: string, partition: number, m: FetchedMessage): RawRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ?? null,
    value: m.value ?? null,
    timestamp: Number(m.timestamp),
    headers: decodeHeaders(m.headers),
  };
}

function isList(v: Buffer | string | ReadonlyArray<Buffer | string>): v is ReadonlyArray<Buffer | string> {
  return Array.isArray(v);
}
