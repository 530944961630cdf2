import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretResolver } from './secrets.js';
import { ManualTimer } from '../topology/index.js';

function secretsDir() {
  const root = mkdtempSync(join(tmpdir(), 'jo-secret-'));
  const dir = join(root, 'secrets');
  mkdirSync(dir);
  return { root, dir };
}

describe('SecretResolver', () => {
  it('reads env and file secrets, caching them for ttlMs', async () => {
    const { dir } = secretsDir();
    const file = join(dir, 'token');
    writeFileSync(file, 'from-file\n');
    const timer = new ManualTimer();
    const s = new SecretResolver({
      env: { JO_SECRET_API_KEY: 'from-env' },
      ttlMs: 1_000,
      timer,
      policy: { envPrefix: 'JO_SECRET_', dir },
    });
    expect(await s.resolve({ env: 'JO_SECRET_API_KEY' })).toBe('from-env');
    expect(await s.resolve({ file })).toBe('from-file');
    writeFileSync(file, 'rotated');
    expect(await s.resolve({ file })).toBe('from-file');
    await timer.advance(1_000);
    expect(await s.resolve({ file })).toBe('rotated');
  });

  it('fails with SECRET_UNRESOLVED for a missing env variable or file', async () => {
    const { dir } = secretsDir();
    const s = new SecretResolver({ env: { JO_SECRET_EMPTY: '' }, policy: { envPrefix: 'JO_SECRET_', dir } });
    await expect(s.resolve({ env: 'JO_SECRET_NOPE' })).rejects.toMatchObject({
      code: 'SECRET_UNRESOLVED',
      retryable: false,
    });
    await expect(s.resolve({ env: 'JO_SECRET_EMPTY' })).rejects.toMatchObject({ code: 'SECRET_UNRESOLVED' });
    await expect(s.resolve({ file: join(dir, 'nonexistent') })).rejects.toMatchObject({ code: 'SECRET_UNRESOLVED' });
  });
});

describe('SecretResolver: the secret policy at call time', () => {
  it('refuses env variables without the prefix (the engine’s own secrets stay out of reach)', async () => {
    const s = new SecretResolver({ env: { KAFKA_SASL_PASSWORD: 'broker-pw', JO_SECRET_OK: 'ok' } });
    await expect(s.resolve({ env: 'KAFKA_SASL_PASSWORD' })).rejects.toMatchObject({
      code: 'SECRET_REF_NOT_ALLOWED',
      retryable: false,
    });
    expect(await s.resolve({ env: 'JO_SECRET_OK' })).toBe('ok');
    const custom = new SecretResolver({ env: { TEAM_A_KEY: 'a' }, policy: { envPrefix: 'TEAM_A_' } });
    expect(await custom.resolve({ env: 'TEAM_A_KEY' })).toBe('a');
  });

  it('refuses every file reference when no secrets directory is configured', async () => {
    const { dir } = secretsDir();
    writeFileSync(join(dir, 'token'), 'x');
    const s = new SecretResolver();
    await expect(s.resolve({ file: join(dir, 'token') })).rejects.toMatchObject({ code: 'SECRET_REF_NOT_ALLOWED' });
  });

  it('refuses .. and symlink escapes, non-regular files and files over 64 KiB', async () => {
    const { root, dir } = secretsDir();
    writeFileSync(join(root, 'outside'), 'engine-private');
    symlinkSync(join(root, 'outside'), join(dir, 'link'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'big'), 'x'.repeat(64 * 1024 + 1));
    writeFileSync(join(dir, 'ok'), 'fine');
    const s = new SecretResolver({ policy: { envPrefix: 'JO_SECRET_', dir } });
    for (const file of [`${dir}/../outside`, join(dir, 'link'), join(dir, 'sub'), join(dir, 'big'), '/etc/hostname'])
      await expect(s.resolve({ file }), file).rejects.toMatchObject({ code: 'SECRET_REF_NOT_ALLOWED' });
    expect(await s.resolve({ file: join(dir, 'ok') })).toBe('fine');
  });
});
