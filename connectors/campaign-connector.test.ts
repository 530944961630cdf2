import { describe, expect, it } from 'vitest';
import { campaignPayload } from './campaign-connector.js';

describe('campaignPayload', () => {
  it('builds the Campaign Standard body per channel', () => {
    expect(campaignPayload('email', { email: 'ann@example.com', ctx: { coupon: 'X1' } })).toEqual({
      email: 'ann@example.com',
      ctx: { coupon: 'X1' },
    });
    expect(campaignPayload('sms', { mobilePhone: '+33 6 12-34.56 78' })).toEqual({
      mobilePhone: '+33612345678',
      ctx: {},
    });
    const token = 'a'.repeat(64);
    expect(campaignPayload('push', { pushPlatform: 'apns', deviceToken: token, ctx: { n: 1 } })).toEqual({
      pushPlatform: 'apns',
      deviceToken: token,
      ctx: { n: 1 },
    });
  });

  it.each([
    ['email', { email: 'not-an-email' }, /invalid email/],
    ['email', { email: 'a@b' }, /invalid email/],
    ['email', { mobilePhone: '+33612345678' }, /invalid email/],
    ['sms', { mobilePhone: '0612345678' }, /E\.164/],
    ['sms', { mobilePhone: '+0612345678' }, /E\.164/],
    ['push', { pushPlatform: 'windows', deviceToken: 'a'.repeat(64) }, /pushPlatform/],
    ['push', { pushPlatform: 'gcm', deviceToken: 'short' }, /deviceToken/],
    ['fax', { email: 'a@example.com' }, /unknown channel/],
    ['email', { email: 'a@example.com', ctx: [1] }, /ctx/],
  ])('rejects %s target %j', (channel, fields, why) => {
    const r = campaignPayload(channel, fields);
    expect(typeof r).toBe('string');
    expect(r).toMatch(why);
  });
});
