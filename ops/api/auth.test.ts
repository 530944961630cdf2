import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenAuth, tokensFromEnv } from './auth.js';

describe('TokenAuth', () => {
  const auth = new TokenAuth([
    { token: 'admin-token-0123456789', role: 'admin' },
    { token: 'read-token-0123456789', role: 'read' },
  ]);

  it('maps a bearer token to its role', () => {
    expect(auth.roleOf('Bearer admin-token-0123456789')).toBe('admin');
    expect(auth.roleOf('bearer read-token-0123456789')).toBe('read');
  });

  it('refuses missing, malformed and unknown tokens', () => {
    expect(auth.roleOf(undefined)).toBeUndefined();
    expect(auth.roleOf('Basic YWRtaW4=')).toBeUndefined();
    expect(auth.roleOf('Bearer admin-token-01234567890')).toBeUndefined();
    expect(auth.roleOf('Bearer')).toBeUndefined();
  });
});

describe('tokensFromEnv', () => {
  it('reads JO_API_TOKENS and JO_API_TOKENS_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jo-tokens-'));
    const file = join(dir, 'tokens.json');
    writeFileSync(file, JSON.stringify([{ role: 'read', token: 'file-token-0123456789' }]));
    expect(tokensFromEnv({ JO_API_TOKENS: 'admin:env-token-0123456789', JO_API_TOKENS_FILE: file })).toEqual([
      { role: 'admin', token: 'env-token-0123456789' },
      { role: 'read', token: 'file-token-0123456789' },
    ]);
  });

  it('reports every problem at once', () => {
    let problems: readonly string[] = [];
    try {
      tokensFromEnv({ JO_API_TOKENS: 'root:x,admin:short', JO_API_TOKENS_FILE: '/nonexistent/t.json' });
    } catch (err) {
      problems = (err as { problems: readonly string[] }).problems;
    }
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/JO_API_TOKENS\[0\][^]*JO_API_TOKENS\[1\][^]*nonexistent/);
    expect(() => tokensFromEnv({})).toThrow(/no API token configured/);
  });
});
