/** Conversions between kafkajs messages and the runtime's records. */
import type { FetchedMessage } from './port-client.js';
import type { Headers } from '../api/record.js';

/** Kafka headers as UTF-8 strings (a repeated header keeps its last value). */
export function decodeHeaders(h: FetchedMessage['headers']): Headers {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    const last: Buffer | string | undefined = isList(v) ? v[v.length - 1] : v;
    if (last !== undefined) out[k] = Buffer.isBuffer(last) ? last.toString('utf8') : last;
  }
  return out;
}

function isList(v: Buffer | string | ReadonlyArray<Buffer | string>): v is ReadonlyArray<Buffer | string> {
  return Array.isArray(v);
}
