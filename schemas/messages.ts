/**
 * Messages on the engine's topics (PRODUCT.md → Messages): command, result, step event, DLQ headers.
 * Producers and consumers on both sides (processors, connectors) use these types and codecs.
 */
import { Type, type Static } from '@sinclair/typebox';

export const CommandRequest = Type.Object({
  url: Type.String(),
  method: Type.String(),
  headers: Type.Record(Type.String(), Type.String()),
  body: Type.Optional(Type.String()),
});

/** `jo.commands.<connector>`, keyed by profile key. */
export const ActionCommand = Type.Object({
  /** Deterministic from instance, node and attempt; sent to endpoints as `Idempotency-Key`. */
  commandId: Type.String(),
  journeyId: Type.String(),
  journeyVersion: Type.Integer(),
  instanceId: Type.String(),
  nodeId: Type.String(),
  profileKey: Type.String(),
  action: Type.String(),
  request: CommandRequest,
  /** Connector-specific extras (Campaign: channel, eventType, target address, ctx). */
  connector: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  createdAt: Type.String({ description: 'ISO-8601' }),
  deadline: Type.String({ description: 'ISO-8601; the connector gives up (timedout) after it' }),
  /** Connector hints from the action config, so the connector needs no config lookup per command. */
  timeoutMs: Type.Optional(Type.Integer()),
  retries: Type.Optional(Type.Integer()),
});
export type ActionCommand = Static<typeof ActionCommand>;

export const ResultStatuses = ['ok', 'error', 'timedout', 'capped'] as const;
export type ResultStatus = (typeof ResultStatuses)[number];

/** `jo.action-results`, keyed by profile key. */
export const ActionResult = Type.Object({
  commandId: Type.String(),
  instanceId: Type.String(),
  nodeId: Type.String(),
  journeyId: Type.Optional(Type.String()),
  journeyVersion: Type.Optional(Type.Integer()),
  profileKey: Type.Optional(Type.String()),
  status: Type.Union(ResultStatuses.map((s) => Type.Literal(s))),
  httpStatus: Type.Optional(Type.Integer()),
  response: Type.Optional(Type.Unknown()),
  attempts: Type.Integer(),
  error: Type.Optional(Type.String()),
  completedAt: Type.Optional(Type.String()),
});
export type ActionResult = Static<typeof ActionResult>;

export const StepStatuses = ['entered', 'transitioned', 'ended', 'error', 'timedout', 'discarded'] as const;
export type StepStatus = (typeof StepStatuses)[number];

/** `jo.step-events`, keyed by profile key: one record per journey step or discard. */
export const StepEvent = Type.Object({
  journeyId: Type.String(),
  journeyVersion: Type.Integer(),
  instanceId: Type.String(),
  profileKey: Type.String(),
  nodeId: Type.String(),
  nodeType: Type.String(),
  status: Type.Union(StepStatuses.map((s) => Type.Literal(s))),
  /** A code such as reentranceNotAllowed, noJourneyForEvent, journeyStopped, journeyTimeout. */
  reason: Type.Optional(Type.String()),
  eventId: Type.Optional(Type.String()),
  timestamp: Type.String({ description: 'ISO-8601' }),
});
export type StepEvent = Static<typeof StepEvent>;

/** Headers on every `jo.dlq` record (value and key are the original bytes). */
export const DlqHeaders = {
  code: 'jo.error.code',
  message: 'jo.error.message',
  sourceTopic: 'jo.source.topic',
  sourcePartition: 'jo.source.partition',
  sourceOffset: 'jo.source.offset',
} as const;
