/**
 * Records as processors see them. A record is immutable: to change it, build a new one (`withKey`, `withValue`,
 * spread) and forward that. Header values are UTF-8 strings (Kafka headers decoded on the way in).
 */
export type Headers = Readonly<Record<string, string>>;

export interface StreamRecord<K, V> {
  readonly key: K;
  readonly value: V;
  /** Event time in epoch ms (the Kafka record timestamp unless a processor sets another). */
  readonly timestamp: number;
  readonly headers: Headers;
}

/** Where the record being processed came from; `undefined` inside a punctuator. */
export interface InputMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly headers: Headers;
}

/** Raw Kafka record as the runtime (or the test driver) hands it to a task. */
export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset as a decimal string (kafkajs' representation). */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: Headers;
}

/** Context given to a deserializer (for error messages and header-driven formats). */
export interface DeserializeContext {
  readonly topic: string;
  readonly headers: Headers;
}

/**
 * Turns bytes into a typed key or value. May throw: a thrown `JoError`'s `code` becomes the DLQ code
 * (`DESERIALIZATION_FAILED` for any other error), the raw record goes to the DLQ and the stream continues.
 */
export type Deserializer<T> = (bytes: Buffer | null, ctx: DeserializeContext) => T;

/** Turns a key or value into bytes (`null` = Kafka null, e.g. a tombstone). */
export type Serializer<T> = (value: T) => Buffer | null;

/**
 * Chooses the partition of an output record; `undefined` falls back to the default partitioner
 * (Java-compatible murmur2 of the key bytes, or partition 0 for a null key).
 */
export type Partitioner<K, V> = (
  key: K,
  value: V,
  keyBytes: Buffer | null,
  numPartitions: number,
) => number | undefined;

export function withKey<K, V, K2>(r: StreamRecord<K, V>, key: K2): StreamRecord<K2, V> {
  return { key, value: r.value, timestamp: r.timestamp, headers: r.headers };
}

export function withValue<K, V, V2>(r: StreamRecord<K, V>, value: V2): StreamRecord<K, V2> {
  return { key: r.key, value, timestamp: r.timestamp, headers: r.headers };
}

function nullable<T>(f: (b: Buffer) => T): Deserializer<T | null> {
  return (b) => (b === null ? null : f(b));
}

/** The (de)serializers made by `serdes.jsonSerializer` / `serdes.jsonDeserializer`. */
const plainJson = new WeakSet<object>();

function markPlainJson<F extends object>(f: F): F {
  plainJson.add(f);
  return f;
}

/**
 * True for the serializers and deserializers of `serdes.jsonSerializer()` / `serdes.jsonDeserializer()`: bytes are
 * `JSON.stringify` of the value, and reading them back gives an equal plain value. An owner that keeps a hop in the
 * process (the in-memory runner) may hand the value itself from such a sink to such a source and skip both.
 */
export function isPlainJson(f: unknown): boolean {
  return typeof f === 'function' && plainJson.has(f);
}

/** Ready-made (de)serializers. JSON parse errors throw `DESERIALIZATION_FAILED`-coded errors via the task. */
export const serdes = {
  stringDeserializer: nullable((b) => b.toString('utf8')),
  bufferDeserializer: nullable((b) => b),
  jsonDeserializer<T>(): Deserializer<T | null> {
    return markPlainJson(nullable((b) => JSON.parse(b.toString('utf8')) as T));
  },
  stringSerializer: ((v: string | null) => (v === null ? null : Buffer.from(v, 'utf8'))) as Serializer<string | null>,
  bufferSerializer: ((v: Buffer | null) => v) as Serializer<Buffer | null>,
  jsonSerializer<T>(): Serializer<T | null> {
    return markPlainJson<Serializer<T | null>>((v) => (v === null ? null : Buffer.from(JSON.stringify(v), 'utf8')));
  },
};
