import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NormalizeCodes } from './journey/event-normalizer.js';

describe('processors error codes', () => {
  it('are each documented in one row of docs/errors.md', () => {
    const dir = new URL('./', import.meta.url);
    const sources = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('testing'))
      .map((f) => readFileSync(new URL(f, dir), 'utf8'))
      .join('\n');
    const thrown = [...sources.matchAll(/(?:TerminalError|RetryableError)\(\s*'([A-Z][A-Z_]+)'/g)].map((m) => m[1]);
    const codes = new Set([...thrown, ...Object.values(NormalizeCodes)]);
    expect(codes.size).toBeGreaterThan(10);
    const readme = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8').split('\n');
    for (const code of codes)
      expect(
        readme.filter((l) => l.startsWith(`| \`${code}\` |`)),
        code,
      ).toHaveLength(1);
  });
});
