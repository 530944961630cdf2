import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { ActionCommand, ActionResult, DlqHeaders, StepRecord } from './messages.js';
import { schemaProblems } from './problems.js';
import { NormalizedEventSchema, XDM_EXPERIENCE_EVENT_AVRO, XdmExperienceEvent } from './xdm.js';
import * as fx from './fixtures/message-fixtures.js';

describe('XDM schemas', () => {
  it('the golden XDM event satisfies the JSON Schema; a broken one is reported with pointers', () => {
    expect(schemaProblems(XdmExperienceEvent, fx.xdmCartEvent)).toEqual([]);
    const bad = { ...fx.xdmCartEvent, timestamp: 'yesterday', identityMap: { email: [] } };
    expect(schemaProblems(XdmExperienceEvent, bad).map((p) => [p.pointer, p.code])).toEqual([
      ['/timestamp', 'SCHEMA_FORMAT'],
      ['/identityMap/email', 'SCHEMA_TOO_SHORT'],
    ]);
  });

  it('the Avro schema parses, round-trips the golden event, and equals the .avsc file', () => {
    const type = avro.Type.forSchema(XDM_EXPERIENCE_EVENT_AVRO as unknown as avro.Schema, { wrapUnions: false });
    const decoded = type.fromBuffer(type.toBuffer(fx.xdmCartEventAvro)) as unknown;
    expect(decoded).toEqual(fx.xdmCartEventAvro);
    expect(type.isValid({ ...fx.xdmCartEventAvro, _id: 7 })).toBe(false);
    const file = JSON.parse(readFileSync(join(import.meta.dirname, 'xdm-experience-event.avsc'), 'utf8')) as unknown;
    expect(file).toEqual(XDM_EXPERIENCE_EVENT_AVRO);
  });

  it('the normalized event fixture satisfies its schema; extra fields are refused', () => {
    expect(schemaProblems(NormalizedEventSchema, fx.normalizedCartEvent)).toEqual([]);
    expect(schemaProblems(NormalizedEventSchema, { ...fx.normalizedCartEvent, extra: 1 })[0]?.code).toBe(
      'SCHEMA_UNKNOWN_PROPERTY',
    );
  });
});

describe('message fixtures match the message schemas', () => {
  it('command, result, step event', () => {
    expect(schemaProblems(ActionCommand, fx.emailCommand)).toEqual([]);
    expect(schemaProblems(ActionResult, fx.emailResult)).toEqual([]);
    expect(schemaProblems(StepRecord, fx.enteredStep)).toEqual([]);
    expect(schemaProblems(ActionResult, { ...fx.emailResult, status: 'fine' })[0]).toMatchObject({
      pointer: '/status',
      code: 'SCHEMA_ENUM',
    });
  });

  it('DLQ headers use exactly the contract names', () => {
    expect(Object.keys(fx.dlqHeaders).sort()).toEqual(Object.values(DlqHeaders).sort());
    expect(Object.values(DlqHeaders)).toEqual([
      'jo.error.code',
      'jo.error.message',
      'jo.source.topic',
      'jo.source.partition',
      'jo.source.offset',
    ]);
  });
});
