import { describe, expect, it } from 'vitest';
import { testRegistryUrl, uniqueName } from '../topology/testing/index.js';
import { createAvroRegistry, framedSchemaId, isConfluentFramed } from './avro-registry.js';
import { XDM_EXPERIENCE_EVENT_AVRO } from './xdm.js';
import { xdmCartEventAvro } from './fixtures/message-fixtures.js';

describe('XDM Avro schema on the real registry', () => {
  it('registers, and a Confluent-framed golden event decodes back to the same record', async () => {
    const registry = createAvroRegistry(testRegistryUrl());
    const id = await registry.register(`${uniqueName('xdm')}-value`, XDM_EXPERIENCE_EVENT_AVRO);
    const framed = await registry.encode(id, xdmCartEventAvro);
    expect(isConfluentFramed(framed)).toBe(true);
    expect(framedSchemaId(framed)).toBe(id);
    expect(JSON.parse(JSON.stringify(await registry.decode(framed)))).toEqual(xdmCartEventAvro);
  });
});
