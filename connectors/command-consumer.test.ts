import { describe, expect, it } from 'vitest';
import { parseCommand } from './command-consumer.js';
import { retryAfter } from './http-client.js';

const valid = {
  commandId: 'c1',
  journeyId: 'j',
  journeyVersion: 1,
  instanceId: 'i',
  nodeId: 'n',
  profileKey: 'email:a@example.com',
  action: 'a',
  request: { url: 'http://127.0.0.1/x', method: 'POST', headers: {}, body: '{}' },
  createdAt: '2026-01-01T00:00:00Z',
  deadline: '2026-01-01T00:00:30Z',
};

describe('parseCommand', () => {
  it('accepts a valid command', () => {
    expect(parseCommand(Buffer.from(JSON.stringify(valid)))).toEqual(valid);
  });
  it('explains why bytes are not a command', () => {
    expect(parseCommand(null)).toBe('empty value');
    expect(parseCommand(Buffer.from('{oops'))).toMatch(/^not JSON/);
    expect(parseCommand(Buffer.from(JSON.stringify({ ...valid, request: undefined })))).toMatch(/request/);
    expect(parseCommand(Buffer.from(JSON.stringify({ ...valid, deadline: 'soon' })))).toMatch(/deadline/);
    const withRequest = (request: object) =>
      Buffer.from(JSON.stringify({ ...valid, request: { ...valid.request, ...request } }));
    expect(parseCommand(withRequest({ method: 'BREW' }))).toMatch(/method/);
    expect(parseCommand(withRequest({ url: 'ftp://example.com/x' }))).toMatch(/url/);
    expect(parseCommand(withRequest({ url: 'not a url' }))).toMatch(/url/);
  });
});

describe('retryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(retryAfter('2', now)).toBe(2_000);
    expect(retryAfter(new Date(now + 5_000).toUTCString(), now)).toBe(5_000);
    expect(retryAfter(undefined, now)).toBeUndefined();
    expect(retryAfter('soon', now)).toBeUndefined();
  });
});
