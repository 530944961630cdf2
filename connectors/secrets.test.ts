import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretResolver } from './secrets.js';
import { ManualTimer } from './timer.js';

describe('SecretResolver', () => {
  it('reads env and file secrets, caching them for ttlMs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jo-secret-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'from-file\n');
    const timer = new ManualTimer();
    const s = new SecretResolver({ env: { API_KEY: 'from-env' }, ttlMs: 1_000, timer });
    expect(await s.resolve({ env: 'API_KEY' })).toBe('from-env');
    expect(await s.resolve({ file })).toBe('from-file');
    writeFileSync(file, 'rotated');
    expect(await s.resolve({ file })).toBe('from-file');
    await timer.advance(1_000);
    expect(await s.resolve({ file })).toBe('rotated');
  });

  it('fails with SECRET_UNRESOLVED for a missing env variable or file', async () => {
    const s = new SecretResolver({ env: { EMPTY: '' } });
    await expect(s.resolve({ env: 'NOPE' })).rejects.toMatchObject({ code: 'SECRET_UNRESOLVED', retryable: false });
    await expect(s.resolve({ env: 'EMPTY' })).rejects.toMatchObject({ code: 'SECRET_UNRESOLVED' });
    await expect(s.resolve({ file: '/nonexistent/jo/secret' })).rejects.toMatchObject({ code: 'SECRET_UNRESOLVED' });
  });
});
