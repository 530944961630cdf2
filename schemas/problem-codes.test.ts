import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_CODES } from './problems.js';

const root = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => readFileSync(join(root, dir, f), 'utf8'));
}

describe('every configuration problem code is documented', () => {
  it('appears in docs/errors.md', () => {
    const readme = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
    const emitted = new Set(SCHEMA_CODES);
    for (const text of [...sources('schemas'), ...sources('ops/api')])
      for (const m of text.matchAll(/(?:code: |errorBody\(|conflict\(|Error\()'([A-Z][A-Z0-9_]+)'/g))
        emitted.add(m[1] as string);
    expect(emitted.size).toBeGreaterThan(30);
    const missing = [...emitted].filter((c) => !readme.includes(`| \`${c}\` |`));
    expect(missing).toEqual([]);
  });
});
