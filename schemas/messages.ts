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
  deadline: Type.String({
    description:
      'ISO-8601; no attempt starts after it: `expired` (attempts 0) when no call was made before it, else `timedout`',
  }),
  /** Connector hints from the action config, so the connector needs no config lookup per command. */
  timeoutMs: Type.Optional(Type.Integer()),
  retries: Type.Optional(Type.Integer()),
});
export type ActionCommand = Static<typeof ActionCommand>;

/**
 * `timedout`: a call was made and not answered in time. `expired`: no call was made before the deadline (e.g. the
 * connector was down), `attempts` 0. A command whose call was made is never reported with `attempts` 0.
 */
export const ResultStatuses = ['ok', 'error', 'timedout', 'capped', 'expired'] as const;
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

/** The fields a result copies from its command (which command, instance, node, journey version and profile). */
export function resultOf(
  cmd: ActionCommand,
): Pick<ActionResult, 'commandId' | 'instanceId' | 'nodeId' | 'journeyId' | 'journeyVersion' | 'profileKey'> {
  return {
    commandId: cmd.commandId,
    instanceId: cmd.instanceId,
    nodeId: cmd.nodeId,
    journeyId: cmd.journeyId,
    journeyVersion: cmd.journeyVersion,
    profileKey: cmd.profileKey,
  };
}

export const StepStatuses = ['entered', 'transitioned', 'goal', 'ended', 'error', 'timedout', 'discarded'] as const;
export type StepStatus = (typeof StepStatuses)[number];

/** What made an instance move: an event (its id), a timer (its token), an action result (its commandId), a control. */
export const StepCauseTypes = ['event', 'timer', 'result', 'control'] as const;
export type StepCauseType = (typeof StepCauseTypes)[number];

/** One step of a step record: what the instance did at one node. */
export const Step = Type.Object({
  nodeId: Type.String(),
  nodeType: Type.String(),
  status: Type.Union(StepStatuses.map((s) => Type.Literal(s))),
  /** A code such as reentranceNotAllowed, exitCriteria, manualExit, journeyStopped, journeyTimeout. */
  reason: Type.Optional(Type.String()),
  timestamp: Type.String({ description: 'ISO-8601' }),
});
export type Step = Static<typeof Step>;

/**
 * `jo.step-events`, keyed by profile key: ONE record per instance per input it processed, holding the ordered
 * list of what that input made the instance do. Discards of journeys that did not match (empty `journeyId` for
 * `noJourneyForEvent`) are written only when verbose step events are on.
 */
export const StepRecord = Type.Object({
  journeyId: Type.String(),
  journeyVersion: Type.Integer(),
  instanceId: Type.String(),
  profileKey: Type.String(),
  cause: Type.Object({ type: Type.Union(StepCauseTypes.map((s) => Type.Literal(s))), id: Type.String() }),
  steps: Type.Array(Step, { minItems: 1 }),
});
export type StepRecord = Static<typeof StepRecord>;
export type StepCause = StepRecord['cause'];

/**
 * `jo.controls` (internal, keyed by profile key, co-partitioned with profile state): a request about one profile's
 * place in one journey, handled by the task that owns the profile. `controlId` names the request (the step
 * record's `cause.id`).
 */
export const ControlRecord = Type.Object({
  type: Type.Literal('exit'),
  controlId: Type.String({ minLength: 1 }),
  journeyId: Type.String({ minLength: 1 }),
  requestedAt: Type.Optional(Type.String()),
});
export type ControlRecord = Static<typeof ControlRecord>;

/** Headers on every `jo.dlq` record (value and key are the original bytes). */
export const DlqHeaders = {
  code: 'jo.error.code',
  message: 'jo.error.message',
  sourceTopic: 'jo.source.topic',
  sourcePartition: 'jo.source.partition',
  sourceOffset: 'jo.source.offset',
} as const;

/** Prefix of every metric name the engine exposes (PRODUCT.md → Metrics), the stream runtime's included. */
export const METRIC_PREFIX = 'jo_';
