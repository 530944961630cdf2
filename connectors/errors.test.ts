import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConnectorCodes } from './errors.js';

describe('connector error codes', () => {
  it('are each documented in one row of docs/errors.md', () => {
    const readme = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    for (const code of Object.values(ConnectorCodes)) {
      expect(
        readme.split('\n').filter((l) => l.startsWith(`| \`${code}\` |`)),
        code,
      ).toHaveLength(1);
    }
  });
});
