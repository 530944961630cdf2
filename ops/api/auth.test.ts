import { describe, expect, it } from 'vitest';
import { TokenAuth } from './auth.js';

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
