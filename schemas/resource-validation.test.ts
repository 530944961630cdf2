import { describe, expect, it } from 'vitest';
import { validateAction, validateDatasource, validateEvent } from './resource-validation.js';
import { cartEvent, emailAction, loyaltyDatasource, purchaseEvent, smsAction } from './fixtures/config-fixtures.js';

const codes = (ps: ReadonlyArray<{ pointer: string; code: string }>) =>
  ps.map(({ pointer, code }) => ({ pointer, code }));

describe('golden resources are valid', () => {
  it('events, data source, actions', () => {
    expect(validateEvent(cartEvent)).toEqual([]);
    expect(validateEvent(purchaseEvent)).toEqual([]);
    expect(validateDatasource(loyaltyDatasource)).toEqual([]);
    expect(validateAction(emailAction)).toEqual([]);
    expect(validateAction(smsAction)).toEqual([]);
  });
});

/** [name, validator, failing doc, expected, passing doc] */
const cases: Array<[string, (v: unknown) => unknown[], unknown, Array<{ pointer: string; code: string }>, unknown]> = [
  [
    'secret literal in auth',
    validateDatasource,
    { ...loyaltyDatasource, auth: { type: 'bearer', token: 's3cr3t' } },
    [{ pointer: '/auth/token', code: 'SECRET_LITERAL' }],
    { ...loyaltyDatasource, auth: { type: 'bearer', token: { file: '/run/secrets/t' } } },
  ],
  [
    'secret literal in oauth2',
    validateAction,
    { ...emailAction, auth: { type: 'oauth2', tokenUrl: 'https://a/t', clientId: 'c', clientSecret: 'x' } },
    [{ pointer: '/auth/clientSecret', code: 'SECRET_LITERAL' }],
    {
      ...emailAction,
      auth: { type: 'oauth2', tokenUrl: 'https://a/t', clientId: 'c', clientSecret: { env: 'JO_SECRET_CS' } },
    },
  ],
  [
    'credential header',
    validateAction,
    { ...emailAction, headers: { Authorization: 'Bearer abc' } },
    [{ pointer: '/headers/Authorization', code: 'SECRET_LITERAL' }],
    { ...emailAction, headers: { Accept: 'application/json' } },
  ],
  [
    'url scheme',
    validateDatasource,
    { ...loyaltyDatasource, url: 'file:///etc/passwd' },
    [{ pointer: '/url', code: 'URL_INVALID' }],
    { ...loyaltyDatasource, url: 'https://api.example.com/{{profile.id}}' },
  ],
  [
    'template prototype path',
    validateAction,
    { ...emailAction, body: '{{params.constructor}}' },
    [{ pointer: '/body', code: 'TEMPLATE_FORBIDDEN_PATH' }],
    { ...emailAction, body: '{{params.construct}}' },
  ],
  [
    'event recognition rule operators',
    validateEvent,
    { ...purchaseEvent, recognition: { rule: { regex: ['x'] } } },
    [{ pointer: '/recognition/rule/regex', code: 'RULE_UNKNOWN_OPERATOR' }],
    { ...purchaseEvent, recognition: { rule: { in: ['buy', { var: 'eventType' }] } } },
  ],
  [
    'event identity path',
    validateEvent,
    { ...cartEvent, identity: { namespace: 'email', path: 'a.__proto__.b' } },
    [{ pointer: '/identity/path', code: 'RULE_FORBIDDEN_PATH' }],
    { ...cartEvent, identity: { namespace: 'email', path: 'a.proto.b' } },
  ],
  [
    'event mapping path',
    validateEvent,
    { ...cartEvent, mapping: { 'a.prototype': 'b' } },
    [{ pointer: '/mapping/a.prototype', code: 'RULE_FORBIDDEN_PATH' }],
    { ...cartEvent, mapping: { 'a.b': 'c.d' } },
  ],
  [
    'event payload schema compiles',
    validateEvent,
    { ...cartEvent, payloadSchema: { type: 'strange' } },
    [{ pointer: '/payloadSchema', code: 'PAYLOAD_SCHEMA_INVALID' }],
    { ...cartEvent, payloadSchema: { type: 'object', required: ['email'] } },
  ],
  [
    'discriminated union: one clear error',
    validateAction,
    { ...smsAction, type: 'fax' },
    [{ pointer: '/type', code: 'SCHEMA_ENUM' }],
    smsAction,
  ],
  [
    'throttle maxDelay up to PT6H',
    validateAction,
    { ...emailAction, throttle: { perSecond: 50, maxDelay: 'PT6H1S' } },
    [{ pointer: '/throttle/maxDelay', code: 'THROTTLE_DELAY_TOO_LONG' }],
    { ...emailAction, throttle: { perSecond: 50, maxDelay: 'PT6H' } },
  ],
  [
    'throttle maxDelay positive',
    validateAction,
    { ...emailAction, throttle: { perSecond: 50, maxDelay: 'PT0S' } },
    [{ pointer: '/throttle/maxDelay', code: 'DURATION_TOO_SHORT' }],
    { ...emailAction, throttle: { perSecond: 0.5, maxDelay: 'PT1M' } },
  ],
  [
    'throttle shape',
    validateAction,
    { ...emailAction, throttle: { perSecond: 0, maxDelay: 'one minute' } },
    [
      { pointer: '/throttle/perSecond', code: 'SCHEMA_RANGE' },
      { pointer: '/throttle/maxDelay', code: 'SCHEMA_PATTERN' },
    ],
    { ...emailAction, throttle: { perSecond: 50, maxDelay: 'PT1M' } },
  ],
  [
    'throttle or rateLimit, not both',
    validateAction,
    { ...emailAction, throttle: { perSecond: 50, maxDelay: 'PT1M' }, rateLimit: { perSecond: 50 } },
    [{ pointer: '/throttle', code: 'THROTTLE_WITH_RATE_LIMIT' }],
    { ...emailAction, rateLimit: { perSecond: 50 } },
  ],
  [
    'every shape error at once',
    validateDatasource,
    { id: '-bad', type: 'http', url: 'http://x', method: 'GET', timeoutMs: 5, extra: 1 },
    [
      { pointer: '/extra', code: 'SCHEMA_UNKNOWN_PROPERTY' },
      { pointer: '/id', code: 'SCHEMA_PATTERN' },
      { pointer: '/timeoutMs', code: 'SCHEMA_RANGE' },
    ],
    { id: 'good', type: 'http', url: 'http://x', method: 'GET', timeoutMs: 500 },
  ],
];

describe('resource validators: one failing and one passing case per rule', () => {
  for (const [name, validate, bad, expected, good] of cases)
    it(name, () => {
      expect(codes(validate(bad) as Array<{ pointer: string; code: string }>)).toEqual(
        expect.arrayContaining(expected),
      );
      expect(codes(validate(bad) as Array<{ pointer: string; code: string }>)).toHaveLength(expected.length);
      expect(validate(good)).toEqual([]);
    });
});
