/**
 * The XDM ExperienceEvent subset the engine reads (PRODUCT.md → Normalized event), as a JSON Schema (TypeBox) and
 * an Avro schema for producers using the Confluent wire format, plus the normalized event conditions see as
 * `event`. XDM documents carry many more field groups; the JSON Schema lets them through, the Avro schema names
 * the commerce group the examples use and keeps everything else out.
 */
import { Type, type Static } from '@sinclair/typebox';

export const XdmIdentity = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1024 }),
    primary: Type.Optional(Type.Boolean()),
    authenticatedState: Type.Optional(
      Type.Union([Type.Literal('ambiguous'), Type.Literal('authenticated'), Type.Literal('loggedOut')]),
    ),
  },
  { additionalProperties: true },
);

/** XDM ExperienceEvent: the fields the engine uses; other field groups pass through untouched. */
export const XdmExperienceEvent = Type.Object(
  {
    _id: Type.String({ minLength: 1, maxLength: 1024 }),
    timestamp: Type.String({ format: 'date-time' }),
    eventType: Type.String({ minLength: 1, maxLength: 256 }),
    /** Namespace (`email`, `ecid`, `crmId`, ...) → identities; the primary one (or the first) keys the profile. */
    identityMap: Type.Optional(Type.Record(Type.String(), Type.Array(XdmIdentity, { minItems: 1 }))),
    _experience: Type.Optional(
      Type.Object({
        campaign: Type.Optional(
          Type.Object({ orchestration: Type.Optional(Type.Object({ eventID: Type.Optional(Type.String()) })) }),
        ),
      }),
    ),
  },
  { additionalProperties: true },
);
export type XdmExperienceEvent = Static<typeof XdmExperienceEvent> & Record<string, unknown>;

/** What normalization yields and conditions read as `event` (PRODUCT.md). */
export const NormalizedEventSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    timestamp: Type.String({ format: 'date-time' }),
    eventType: Type.String(),
    eventConfigId: Type.String(),
    identity: Type.Object({ namespace: Type.String({ minLength: 1 }), id: Type.String({ minLength: 1 }) }),
    xdm: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: false },
);
export type NormalizedEventShape = Static<typeof NormalizedEventSchema>;

const optional = (type: unknown) => ({ type: ['null', type], default: null });

/**
 * Avro schema of the same subset (`xdm-experience-event.avsc` is this, written out for non-TypeScript producers).
 * Timestamps are ISO-8601 strings as in XDM JSON, so both encodings normalize identically.
 */
export const XDM_EXPERIENCE_EVENT_AVRO = {
  type: 'record',
  name: 'ExperienceEvent',
  namespace: 'io.journeyengine.xdm',
  fields: [
    { name: '_id', type: 'string' },
    { name: 'timestamp', type: 'string' },
    { name: 'eventType', type: 'string' },
    {
      name: 'identityMap',
      ...optional({
        type: 'map',
        values: {
          type: 'array',
          items: {
            type: 'record',
            name: 'Identity',
            fields: [
              { name: 'id', type: 'string' },
              { name: 'primary', ...optional('boolean') },
              { name: 'authenticatedState', ...optional('string') },
            ],
          },
        },
      }),
    },
    {
      name: '_experience',
      ...optional({
        type: 'record',
        name: 'Experience',
        fields: [
          {
            name: 'campaign',
            ...optional({
              type: 'record',
              name: 'Campaign',
              fields: [
                {
                  name: 'orchestration',
                  ...optional({
                    type: 'record',
                    name: 'Orchestration',
                    fields: [{ name: 'eventID', ...optional('string') }],
                  }),
                },
              ],
            }),
          },
        ],
      }),
    },
    {
      name: 'commerce',
      ...optional({
        type: 'record',
        name: 'Commerce',
        fields: [
          {
            name: 'cart',
            ...optional({ type: 'record', name: 'Cart', fields: [{ name: 'total', ...optional('double') }] }),
          },
          {
            name: 'order',
            ...optional({
              type: 'record',
              name: 'Order',
              fields: [
                { name: 'id', ...optional('string') },
                { name: 'priceTotal', ...optional('double') },
                { name: 'currencyCode', ...optional('string') },
              ],
            }),
          },
        ],
      }),
    },
  ],
} as const;
