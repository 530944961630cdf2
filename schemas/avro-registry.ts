/**
 * Avro in the Confluent wire format (magic byte 0 + 4-byte schema id + Avro body) through a Confluent-compatible
 * schema registry (Apicurio's `/apis/ccompat/v7` here). The one file that imports the registry client.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';

export interface AvroRegistry {
  /** Registers (or finds) an Avro schema under `subject`; returns its global id. */
  register(subject: string, schema: object): Promise<number>;
  encode(schemaId: number, value: unknown): Promise<Buffer>;
  /** Decodes a Confluent-framed buffer; throws when the magic byte or the schema id is unknown. */
  decode(buf: Buffer): Promise<unknown>;
}

/** True when `buf` starts like a Confluent-framed payload (magic 0, then a 4-byte schema id). */
export function isConfluentFramed(buf: Buffer): boolean {
  return buf.length >= 5 && buf[0] === 0;
}

/** Reads the schema id of a Confluent-framed payload. */
export function framedSchemaId(buf: Buffer): number {
  return buf.readInt32BE(1);
}

export function createAvroRegistry(url: string): AvroRegistry {
  const registry = new SchemaRegistry({ host: url });
  return {
    async register(subject, schema) {
      const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
      return id;
    },
    encode: (schemaId, value) => registry.encode(schemaId, value),
    decode: (buf) => registry.decode(buf) as Promise<unknown>,
  };
}
