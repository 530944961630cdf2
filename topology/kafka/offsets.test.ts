import { describe, expect, it } from 'vitest';
import { offsetLag } from './offsets.js';

describe('offsetLag', () => {
  it('counts the records between a position and the high watermark, exactly beyond 2^53, never below 0', () => {
    expect(offsetLag('10', '4')).toBe(6);
    expect(offsetLag('9007199254740995', '9007199254740992')).toBe(3);
    expect(offsetLag('4', '10')).toBe(0);
    expect(offsetLag('7', '7')).toBe(0);
  });
});
