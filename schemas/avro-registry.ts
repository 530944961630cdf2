/**
 * Avro in the Confluent wire format (magic byte 0 + 4-byte schema id + Avro body) through a Confluent-compatible
 * schema registry (Apicurio's `/apis/ccompat/v7` here). The one file that imports the registry client.
 *
 * Every registry request has a timeout and the client's own retries are off: the caller (the normalize step)
 * decides how often to retry, and a registry that accepts connections but never answers cannot hold a task.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';

export interface AvroRegistry {
  /** Registers (or finds) an Avro schema under `subject`; returns its global id. */
  register(subject: string, schema: object): Promise<number>;
  encode(schemaId: number, value: unknown): Promise<Buffer>;
  /**
   * Decodes a Confluent-framed buffer; throws when the magic byte or the schema id is unknown (404), when the
   * registry fails (status, errno) or does not answer within the timeout (`REGISTRY_TIMEOUT`), or with
   * `signal`'s reason when it aborts first.
   */
  decode(buf: Buffer, signal?: AbortSignal): Promise<unknown>;
  /**
   * Schemas held in the client's cache. Its bound: one per schema id the registry holds and an event named (an
   * unknown id is a 404 and is not cached), so producers cannot grow it past the operator's registry.
   */
  cachedSchemas(): number;
}

export interface AvroRegistryOptions {
  /** Per request, connecting included (default 5,000 ms). */
  readonly timeoutMs?: number;
}

/** True when `buf` starts like a Confluent-framed payload (magic 0, then a 4-byte schema id). */
export function isConfluentFramed(buf: Buffer): boolean {
  return buf.length >= 5 && buf[0] === 0;
}

/** Reads the schema id of a Confluent-framed payload. */
export function framedSchemaId(buf: Buffer): number {
  return buf.readInt32BE(1);
}

/** `errno`-style code of a registry request that got no answer in time (the normalizer treats E* codes as faults). */
export const REGISTRY_TIMEOUT = 'ETIMEDOUT';

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function createAvroRegistry(url: string, opts: AvroRegistryOptions = {}): AvroRegistry {
  const timeout = opts.timeoutMs ?? 5_000;
  // mappersmith's HTTP gateway arms `timeout` on the request socket and fails the request when it fires.
  const withTimeout = () => ({
    prepareRequest: (next: () => Promise<{ enhance(extras: { timeout: number }): unknown }>) =>
      next().then((req) => req.enhance({ timeout })),
  });
  const registry = new SchemaRegistry({ host: url, retry: { retries: 0 }, middlewares: [withTimeout] } as never);
  return {
    async register(subject, schema) {
      const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
      return id;
    },
    encode: (schemaId, value) => registry.encode(schemaId, value),
    // the client keeps its cache in a plain object (`cache.schemasByRegistryId`); read only here, in its adapter
    cachedSchemas: () =>
      Object.keys((registry as unknown as { cache: { schemasByRegistryId: object } }).cache.schemasByRegistryId).length,
    decode: (buf, signal) =>
      abortable(registry.decode(buf) as Promise<unknown>, signal).catch((err: unknown) => {
        // The gateway reports its timeout as a client error without an errno: give it one.
        if (err instanceof Error && /\bTimeout \(\d+ms\)/.test(err.message) && !('code' in err))
          Object.assign(err, { code: REGISTRY_TIMEOUT });
        throw err;
      }),
  };
}
