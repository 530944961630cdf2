import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { testCommand } from './test-command.js';

const E = 'docs/examples/cart-test';
const base = [
  '--journey',
  `${E}/cart-bundle.json`,
  '--events',
  `${E}/events.jsonl`,
  '--profiles',
  `${E}/profiles.json`,
  '--responses',
  `${E}/responses.json`,
];

describe('jo test', () => {
  it('prints each trail and the per-node table; a met expectation file exits 0', async () => {
    const r = await testCommand([...base, '--expect', `${E}/expect-pass.json`]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    expect(text).toContain('email:eve@example.com\n  2026-01-01 00:00:00Z  wait1    entered       event #4');
    expect(text).toContain('2026-01-02 00:30:00Z  done     ended (end)   event #5');
    expect(text).toMatch(/^waitBuy +event +0 +5 +0 +4$/m);
    expect(text).toContain('commands (not sent): sendEmail ×1, sendSms ×2');
    expect(text).toContain('  ok      #1 "eve bought on day 2: no reminder"');
  });

  it('an expectation not met: exit code 1 and a message naming it (through the real `jo` binary)', () => {
    const r = spawnSync(process.execPath, ['ops/bin/jo.js', 'test', ...base, '--expect', `${E}/expect-fail.json`], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      'expectation #2 "every silver member gets an SMS" failed: 2 command(s) of sendSms, expected 4',
    );
    expect(r.stdout).toContain('  ok      #1 "email:eve@example.com ends at done"');
  }, 90_000);

  it('usage and configuration problems exit 2', async () => {
    expect((await testCommand(['--journey', `${E}/cart-bundle.json`])).code).toBe(2);
    const noResources = await testCommand(['--journey', `${E}/cart-bundle.json`, '--events', `${E}/nope.jsonl`]);
    expect(noResources).toMatchObject({ code: 2, err: [expect.stringContaining('nope.jsonl')] });
  });
});
