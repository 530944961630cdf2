/**
 * Configuration resources (PRODUCT.md → Configuration resources): one TypeBox schema per kind, from which the
 * TypeScript type is derived. Shape only; cross-references, durations, json-logic operators and graph checks
 * belong to the journey compiler.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Auth, Headers, HttpMethod, Id, IsoDuration, JsonLogic, RateLimit, strictObject, Throttle } from './common.js';

export const ResourceKinds = ['event', 'datasource', 'action', 'cap', 'journey'] as const;
export type ResourceKind = (typeof ResourceKinds)[number];

// ---- event -------------------------------------------------------------------------------------------------
export const EventConfig = strictObject({
  id: Id,
  name: Type.String({ minLength: 1, maxLength: 256 }),
  description: Type.Optional(Type.String({ maxLength: 4096 })),
  /** How the event is recognised: exactly one of these three. */
  recognition: Type.Union([
    strictObject({ eventType: Type.String({ minLength: 1, maxLength: 256 }) }),
    strictObject({ rule: JsonLogic }),
    strictObject({ eventID: Type.String({ minLength: 1, maxLength: 256 }) }),
  ]),
  /** Identity: a namespace plus a dotted path into the (mapped) XDM payload or a json-logic expression. */
  identity: Type.Union([
    strictObject({
      namespace: Type.String({ minLength: 1, maxLength: 64 }),
      path: Type.String({ minLength: 1, maxLength: 512 }),
    }),
    strictObject({ namespace: Type.String({ minLength: 1, maxLength: 64 }), expression: JsonLogic }),
  ]),
  /** Raw JSON → XDM: target dotted path → source dotted path in the raw payload. */
  mapping: Type.Optional(
    Type.Record(Type.String({ maxLength: 512 }), Type.String({ maxLength: 512 }), { maxProperties: 256 }),
  ),
  /** Optional JSON Schema the raw payload must satisfy. */
  payloadSchema: Type.Optional(Type.Object({}, { additionalProperties: true })),
});
export type EventConfig = Static<typeof EventConfig>;

// ---- datasource ----------------------------------------------------------------------------------------------
export const DataSourceConfig = strictObject({
  id: Id,
  name: Type.Optional(Type.String({ maxLength: 256 })),
  type: Type.Literal('http'),
  /** Templated: `{{profile.id}}`, `{{event.xdm.commerce.order.id}}`, ... */
  url: Type.String({ minLength: 1, maxLength: 4096 }),
  method: Type.Union([Type.Literal('GET'), Type.Literal('POST')]),
  headers: Type.Optional(Headers),
  body: Type.Optional(Type.String({ maxLength: 65536 })),
  auth: Type.Optional(Auth),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 30_000 })),
  cacheTtlMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
  rateLimit: Type.Optional(RateLimit),
});
export type DataSourceConfig = Static<typeof DataSourceConfig>;

// ---- action --------------------------------------------------------------------------------------------------
const ActionCommon = {
  id: Id,
  name: Type.Optional(Type.String({ maxLength: 256 })),
  auth: Type.Optional(Auth),
  /** 1–30 s (PRODUCT.md limits). */
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 30_000 })),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 3 })),
  rateLimit: Type.Optional(RateLimit),
  /** Queue commands over the rate instead of capping them (docs/governance.md → Throttling). */
  throttle: Type.Optional(Throttle),
  maxConcurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
};

export const HttpActionConfig = strictObject({
  ...ActionCommon,
  type: Type.Literal('http'),
  /** Templated URL; params of the journey node and `profile`/`event` data are available. */
  url: Type.String({ minLength: 1, maxLength: 4096 }),
  method: HttpMethod,
  headers: Type.Optional(Headers),
  /** Templated body (a string template rendered with the node's params). */
  body: Type.Optional(Type.String({ maxLength: 65536 })),
});

export const CampaignActionConfig = strictObject({
  ...ActionCommon,
  type: Type.Literal('campaign'),
  /** Base URL of the transactional messaging API; the event's endpoint is `${url}/${eventType}`. */
  url: Type.String({ minLength: 1, maxLength: 4096 }),
  channel: Type.Union([Type.Literal('email'), Type.Literal('sms'), Type.Literal('push')]),
  eventType: Type.String({ minLength: 1, maxLength: 256 }),
  headers: Type.Optional(Headers),
});

export const ActionConfig = Type.Union([HttpActionConfig, CampaignActionConfig]);
export type HttpActionConfig = Static<typeof HttpActionConfig>;
export type CampaignActionConfig = Static<typeof CampaignActionConfig>;
export type ActionConfig = Static<typeof ActionConfig>;

// ---- journey -------------------------------------------------------------------------------------------------
const NodeId = Id;

export const ActionNode = strictObject({
  type: Type.Literal('action'),
  action: Id,
  /** Values (or json-logic expressions) passed to the action's templates. */
  params: Type.Optional(Type.Record(Type.String({ maxLength: 128 }), Type.Unknown(), { maxProperties: 128 })),
  next: NodeId,
  onError: Type.Optional(NodeId),
});
export const ConditionNode = strictObject({
  type: Type.Literal('condition'),
  paths: Type.Array(strictObject({ when: JsonLogic, next: NodeId }), { minItems: 1, maxItems: 20 }),
  otherwise: Type.Optional(NodeId),
});
export const SplitNode = strictObject({
  type: Type.Literal('split'),
  paths: Type.Array(strictObject({ weight: Type.Number(), next: NodeId }), { minItems: 1, maxItems: 20 }),
});
export const WaitNode = Type.Union([
  strictObject({ type: Type.Literal('wait'), duration: IsoDuration, next: NodeId }),
  strictObject({ type: Type.Literal('wait'), until: JsonLogic, next: NodeId }),
]);
export const EventNode = strictObject({
  type: Type.Literal('event'),
  events: Type.Array(strictObject({ event: Id, condition: Type.Optional(JsonLogic), next: NodeId }), {
    minItems: 1,
    maxItems: 20,
  }),
  timeout: Type.Optional(IsoDuration),
  onTimeout: Type.Optional(NodeId),
});
export const EndNode = strictObject({ type: Type.Literal('end') });
/** Sets or removes profile attributes (dotted paths); values are literals or json-logic expressions. */
export const UpdateProfileNode = strictObject({
  type: Type.Literal('updateProfile'),
  set: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.Unknown(), { maxProperties: 64 })),
  remove: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 64 })),
  next: NodeId,
});
/** Enters the profile into another live journey (its entry condition applies); continues at `next` or ends. */
export const JumpNode = strictObject({ type: Type.Literal('jump'), journey: Id, next: Type.Optional(NodeId) });

export const JourneyNode = Type.Union([
  ActionNode,
  ConditionNode,
  SplitNode,
  WaitNode,
  EventNode,
  EndNode,
  UpdateProfileNode,
  JumpNode,
]);
export type JourneyNode = Static<typeof JourneyNode>;

/**
 * How profiles enter: on an `event` (with an optional `condition` on the event, profile and data sources), or as
 * an `audience` (json-logic on `profile`) at each run of `schedule` (`once` when the version goes live, or a cron
 * expression in the journey's time zone). Exactly one of `event` and `audience` (the compiler checks the combination).
 */
export const JourneyEntry = strictObject({
  event: Type.Optional(Id),
  condition: Type.Optional(JsonLogic),
  audience: Type.Optional(JsonLogic),
  schedule: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});
export type JourneyEntry = Static<typeof JourneyEntry>;

export const JourneyConfig = strictObject({
  id: Id,
  name: Type.String({ minLength: 1, maxLength: 256 }),
  description: Type.Optional(Type.String({ maxLength: 4096 })),
  /** Identity namespace the journey works on (e.g. `email`, `ecid`, `crmId`). */
  namespace: Type.String({ minLength: 1, maxLength: 64 }),
  entry: JourneyEntry,
  reentrance: Type.Optional(strictObject({ allowed: Type.Boolean(), waitPeriod: Type.Optional(IsoDuration) })),
  /** Journey timeout, default P30D; waits and timeouts up to 90 days. */
  timeout: Type.Optional(IsoDuration),
  /** IANA time zone used by waits and time helpers; default UTC. */
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** No entries before / after these instants (ISO-8601 date-times); running instances still finish. */
  startAt: Type.Optional(Type.String({ format: 'date-time' })),
  endAt: Type.Optional(Type.String({ format: 'date-time' })),
  /** Most entries per UTC day, per installation (approximate: each partition admits its share). */
  maxEntriesPerDay: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000_000 })),
  /** Most instances running at once, per installation (approximate: each partition admits its share). */
  maxConcurrentInstances: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000_000 })),
  /**
   * Write this journey's discards of events that did not enter it (`entryConditionNotMet`) as step records, for
   * debugging; they are always counted in `jo_events_discarded_total`. Default false.
   */
  verboseSteps: Type.Optional(Type.Boolean()),
  /**
   * Exit criteria: an event (optionally with a condition) that ends every running instance of the version wherever
   * it is (`ended`, reason `exitCriteria`).
   */
  exit: Type.Optional(
    Type.Array(strictObject({ event: Id, condition: Type.Optional(JsonLogic) }), { minItems: 1, maxItems: 20 }),
  ),
  /** Goal: an event (optionally with a condition) that marks the instance converted; `exit: true` also ends it. */
  goal: Type.Optional(
    strictObject({ event: Id, condition: Type.Optional(JsonLogic), exit: Type.Optional(Type.Boolean()) }),
  ),
  start: NodeId,
  nodes: Type.Record(NodeId, JourneyNode, { minProperties: 1, maxProperties: 1000, additionalProperties: false }),
});
export type JourneyConfig = Static<typeof JourneyConfig>;
export type ActionNode = Static<typeof ActionNode>;
export type ConditionNode = Static<typeof ConditionNode>;
export type SplitNode = Static<typeof SplitNode>;
export type WaitNode = Static<typeof WaitNode>;
export type EventNode = Static<typeof EventNode>;
export type EndNode = Static<typeof EndNode>;
export type UpdateProfileNode = Static<typeof UpdateProfileNode>;
export type JumpNode = Static<typeof JumpNode>;

// ---- frequency cap -----------------------------------------------------------------------------------------
export const CapChannels = ['email', 'sms', 'push', 'http'] as const;
/**
 * A frequency cap across journeys: at most `max` commands per profile within `window` (ISO-8601, sliding) for the
 * listed actions and/or channels (`http` = every `http` action; a `campaign` action counts for its channel).
 * With neither list, every action counts.
 */
export const CapConfig = strictObject({
  id: Id,
  name: Type.Optional(Type.String({ maxLength: 256 })),
  max: Type.Integer({ minimum: 1, maximum: 10_000 }),
  window: IsoDuration,
  actions: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 100 })),
  channels: Type.Optional(
    Type.Array(Type.Union(CapChannels.map((c) => Type.Literal(c))), { minItems: 1, maxItems: CapChannels.length }),
  ),
});
export type CapConfig = Static<typeof CapConfig>;

export const JourneyStates = ['draft', 'live', 'closed', 'stopped'] as const;
export type JourneyState = (typeof JourneyStates)[number];

/**
 * What `jo.config` holds under `journey/<id>`: every version with its state. The REST API writes it; the engine
 * reads it (global store) and runs the `live` version for new entries, and the version each instance entered.
 */
export interface JourneyRecord {
  readonly id: string;
  readonly versions: ReadonlyArray<{
    readonly version: number;
    readonly state: JourneyState;
    readonly createdAt: string;
    readonly publishedAt?: string;
    readonly closedAt?: string;
    readonly stoppedAt?: string;
    /** Digest naming the `jo.config` key of the version's config (schemas/config-record.ts). */
    readonly config?: string;
    readonly journey: JourneyConfig;
  }>;
  /** Set while the journey is paused: no entries, instances halt at their next node. */
  readonly pausedAt?: string;
  /** When the journey was last resumed. */
  readonly resumedAt?: string;
}
