import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateFile } from './validate-file.js';

const sample = JSON.parse(readFileSync(new URL('./sample/resources.json', import.meta.url), 'utf8')) as {
  journeys: Array<Record<string, unknown>>;
  actions: unknown[];
};

describe('jo validate', () => {
  it('accepts the sample resource set', () => {
    expect(validateFile(sample)).toEqual([]);
  });

  it('reports problems with pointers into the file', () => {
    const broken = structuredClone(sample);
    const j = broken.journeys[0] as { nodes: Record<string, { next?: string }> };
    (j.nodes['send-welcome'] as { next: string }).next = 'nowhere';
    broken.actions = [];
    const problems = validateFile(broken);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pointer: '/journeys/0/nodes/send-welcome/next', code: 'NODE_REF_UNKNOWN' }),
        expect.objectContaining({ code: 'REF_UNKNOWN_ACTION' }),
      ]),
    );
  });

  it('checks a lone journey without references', () => {
    expect(validateFile(sample.journeys[0])).toEqual([]);
    expect(validateFile(42)).toEqual([expect.objectContaining({ code: 'SCHEMA_TYPE' })]);
  });
});
