// Issue 13 point 8: the registry client's schema cache is keyed by the schema id an event names (any producer picks
// it). Its bound: one entry per schema the registry actually holds — an unknown id is a 404 and is not cached.
import { describe, expect, it } from 'vitest';
import { testRegistryUrl, uniqueName } from '../topology/testing/index.js';
import { createAvroRegistry } from './avro-registry.js';

const schema = { type: 'record', name: 'Probe', fields: [{ name: 'n', type: 'int' }] };

/** A Confluent frame naming `id` (magic 0, 4-byte id) with a one-int Avro body. */
function frame(id: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt32BE(id, 1);
  b[5] = 2; // zig-zag 1
  return b;
}

describe('registry client schema cache', () => {
  it('holds only schemas the registry has: 300 events naming unknown ids add nothing', async () => {
    const writer = createAvroRegistry(testRegistryUrl());
    const id = await writer.register(`${uniqueName('cache')}-value`, schema);
    const registry = createAvroRegistry(testRegistryUrl());
    expect(registry.cachedSchemas()).toBe(0);
    for (let i = 0; i < 300; i++) await expect(registry.decode(frame(1_900_000_000 + i))).rejects.toThrow();
    expect(registry.cachedSchemas()).toBe(0);
    for (let i = 0; i < 50; i++) expect(await registry.decode(frame(id))).toEqual({ n: 1 });
    expect(registry.cachedSchemas()).toBe(1);
  });
});
