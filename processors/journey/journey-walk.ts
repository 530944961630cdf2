/**
 * Walks a journey graph from a node until the instance blocks (wait, event, action awaiting its result) or ends.
 * Only data sources referenced by the node being evaluated are fetched. Any failure inside a node (rule error,
 * data source down, unknown action) sends an action node with `onError` down that path, and otherwise ends the
 * instance with an `error` step event; it never throws for bad journey data.
 */
import type { ActionConfig, JourneyNode, JumpNode, StepStatus, UpdateProfileNode } from '../../schemas/index.js';
import { updatedProfile } from './profile-update.js';
import { actionNeeds, buildCommand } from './command-builder.js';
import { pickWeighted, splitFraction } from './ids.js';
import { isoAt } from './iso-time.js';
import type {
  EmittedCommand,
  EngineEnv,
  InstanceState,
  InstanceStep,
  JourneyDef,
  NormalizedEvent,
  Outcome,
  JourneyTimer,
  TimerKind,
} from './journey-model.js';
import { evaluateRule, testRule, toEpoch, type RuleData } from './rules.js';
import { timerOf } from './instance-timer.js';

/** The context of one evaluation of one instance. */
export interface WalkContext {
  readonly env: EngineEnv;
  readonly def: JourneyDef;
  readonly inst: InstanceState;
  /** The profile as this evaluation sees it (an `updateProfile` node replaces it for the nodes after it). */
  profile: unknown;
  readonly out: Outcome;
  /** The event being processed, if any (`eventId` of step events). */
  readonly event?: NormalizedEvent;
  /**
   * `event` in rules, params and data-source templates: the event being processed; on a step resumed by a timer, a
   * timeout or an action result, the last event the instance consumed (the entry event if none since).
   */
  readonly subject?: NormalizedEvent;
  /** Data sources fetched during this evaluation. */
  readonly fetched: Record<string, unknown>;
  /** Set when the instance ended during this evaluation. */
  ended?: { readonly status: StepStatus; readonly reason: string };
  /** The timers the index held for the instance before this input (instance-timer.ts). */
  indexed: readonly JourneyTimer[];
}

export type WalkResult = 'blocked' | 'ended';
const BLOCKED = Symbol('blocked');
const ENDED = Symbol('ended');
type Visit = string | typeof BLOCKED | typeof ENDED;

class NodeFailure extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Appends a step of the instance (emit groups an input's steps into one step record per instance). */
export function step(ctx: WalkContext, nodeId: string, status: StepStatus, reason?: string): void {
  const { inst } = ctx;
  // Built field by field, not with conditional spreads (twice as slow; every step of every input pays), in the
  // same field order.
  const s: { -readonly [K in keyof InstanceStep]?: InstanceStep[K] } = {
    journeyId: inst.journeyId,
    journeyVersion: inst.version,
    instanceId: inst.instanceId,
    profileKey: inst.profileKey,
    nodeId,
    nodeType: ctx.def.config.nodes[nodeId]?.type ?? 'journey',
    status,
  };
  if (reason) s.reason = reason;
  if (status === 'error' && inst.lastError !== undefined) s.message = inst.lastError;
  s.timestamp = isoAt(ctx.env.now());
  ctx.out.steps.push(s as InstanceStep);
}

/**
 * A new deadline of the instance; the token changes on every call so that older timers become stale. Whether the
 * timer index holds it is decided when the input settles (one timer per instance: instance-timer.ts).
 */
export function newTimer(ctx: WalkContext, kind: TimerKind, nodeId: string, dueAt: number): JourneyTimer {
  ctx.inst.seq += 1;
  return timerOf(ctx.inst, kind, nodeId, `${ctx.inst.instanceId}.${ctx.inst.seq}`, dueAt);
}

/**
 * Unblocks the instance (its deadline, if any, is dropped from the index when the input settles). Set to undefined,
 * not deleted: deleting a property that is not the object's last turns it into a slow dictionary-mode object for
 * the rest of its life (in a replay, 2 of 5 instances were; JSON leaves an undefined field out all the same).
 */
export function unblock(ctx: WalkContext): void {
  ctx.inst.blocked = undefined;
}

/** Ends the instance: one step event with `status`/`reason` (its timer is cancelled when the input settles). */
export function finish(ctx: WalkContext, nodeId: string, status: StepStatus, reason: string): void {
  unblock(ctx);
  step(ctx, nodeId, status, reason);
  ctx.out.exits.push({ journeyId: ctx.inst.journeyId, version: ctx.inst.version, reason });
  ctx.ended = { status, reason };
}

const NONE: readonly string[] = [];
/** Shared by every rule data with no profile or no data source (rules and templates only read it). */
const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

function isEmpty(o: Readonly<Record<string, unknown>>): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return false;
  return true;
}

async function fetchMissing(ctx: WalkContext, ids: readonly string[]): Promise<void> {
  const missing = ids.filter((id) => !(id in ctx.fetched));
  if (missing.length === 0) return;
  try {
    const got = await ctx.env.fetchDatasources(missing, {
      profileKey: ctx.inst.profileKey,
      profile: ctx.profile,
      ...(ctx.subject ? { event: ctx.subject } : {}),
    });
    for (const id of missing) ctx.fetched[id] = got[id] ?? null;
  } catch (err) {
    throw new NodeFailure('dataSourceFailed', (err as Error).message);
  }
}

/**
 * Rule data for the instance, with the data sources `needs` and `more` name fetched (once per evaluation). Most
 * rules need none: then nothing is fetched, filtered or copied, and the data is returned at once (no promise).
 */
export function ruleData(
  ctx: WalkContext,
  needs: readonly string[],
  more: readonly string[] = NONE,
): RuleData | Promise<RuleData> {
  if (needs.length === 0 && more.length === 0) return dataOf(ctx);
  const ids = more.length === 0 ? needs : needs.length === 0 ? more : [...needs, ...more];
  if (ids.every((id) => id in ctx.fetched)) return dataOf(ctx);
  return fetchMissing(ctx, ids).then(() => dataOf(ctx));
}

function dataOf(ctx: WalkContext): RuleData {
  const { inst, def } = ctx;
  // Not `{ ...(ctx.event ? { event } : {}), ... }`: on Node 20 an object literal that starts with a conditional
  // spread takes a slow path (~3–6 µs instead of ~0.1 µs), and this runs for every rule of every event.
  const data: { -readonly [K in keyof RuleData]: RuleData[K] } = {
    events: inst.events,
    profile: ctx.profile ?? EMPTY,
    // a copy: a later node may fetch more, and what this evaluation handed out must not change under it
    datasources: isEmpty(ctx.fetched) ? EMPTY : { ...ctx.fetched },
    actions: inst.actions,
    journey: {
      id: inst.journeyId,
      version: inst.version,
      instanceId: inst.instanceId,
      profileKey: inst.profileKey,
      enteredAt: inst.enteredAt,
      currentNode: inst.currentNode,
      lastError: inst.lastError ?? null,
      timezone: def.timezone,
    },
    now: ctx.env.now(),
  };
  if (ctx.subject) data.event = ctx.subject;
  return data;
}

function rule<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new NodeFailure('ruleFailed', (err as Error).message);
  }
}

function visitCondition(ctx: WalkContext, id: string, node: Extract<JourneyNode, { type: 'condition' }>) {
  // (no closure unless the data has to be waited for: most rules read no data source)
  const data = ruleData(ctx, ctx.def.needs[id] ?? NONE);
  return data instanceof Promise ? data.then((d) => pickPath(ctx, id, node, d)) : pickPath(ctx, id, node, data);
}

function pickPath(ctx: WalkContext, id: string, node: Extract<JourneyNode, { type: 'condition' }>, data: RuleData) {
  for (const p of node.paths) if (rule(() => testRule(p.when, data, ctx.def.timezone))) return p.next;
  if (node.otherwise) return node.otherwise;
  finish(ctx, id, 'ended', 'noMatchingPath');
  return ENDED;
}

function visitWait(ctx: WalkContext, id: string, node: Extract<JourneyNode, { type: 'wait' }>): Visit | Promise<Visit> {
  const now = ctx.env.now();
  if ('duration' in node) return waitUntil(ctx, id, node, now, now + (ctx.def.durations[id] ?? 0));
  const until = node.until;
  const dueAt = (data: RuleData) => {
    const t = toEpoch(rule(() => evaluateRule(until, data, ctx.def.timezone)));
    if (t === null) throw new NodeFailure('ruleFailed', `wait "${id}": until did not give a time`);
    return waitUntil(ctx, id, node, now, t);
  };
  const data = ruleData(ctx, ctx.def.needs[id] ?? NONE);
  return data instanceof Promise ? data.then(dueAt) : dueAt(data);
}

function waitUntil(
  ctx: WalkContext,
  id: string,
  node: Extract<JourneyNode, { type: 'wait' }>,
  now: number,
  dueAt: number,
) {
  if (dueAt <= now) return node.next;
  const timer = newTimer(ctx, 'wait', id, dueAt);
  ctx.inst.blocked = { kind: 'wait', nodeId: id, token: timer.token, dueAt };
  return BLOCKED;
}

function visitEvent(ctx: WalkContext, id: string): Visit {
  const ms = ctx.def.durations[id];
  if (ms === undefined) ctx.inst.blocked = { kind: 'event', nodeId: id };
  else {
    const timer = newTimer(ctx, 'eventTimeout', id, ctx.env.now() + ms);
    ctx.inst.blocked = { kind: 'event', nodeId: id, token: timer.token, dueAt: timer.dueAt };
  }
  return BLOCKED;
}

type ActionNodeOf = Extract<JourneyNode, { type: 'action' }>;

/**
 * An action node: cap check, command, count, then its deadline. Each step is awaited only when it gave a promise
 * (a cap to check, a data source): without caps and data sources the whole visit is synchronous.
 */
function visitAction(ctx: WalkContext, id: string, node: ActionNodeOf): Visit | Promise<Visit> {
  const action = ctx.env.action(node.action);
  if (!action) throw new NodeFailure('unknownAction', `action "${node.action}" is not configured`);
  const cap = ctx.env.frequency?.check(ctx.inst.profileKey, action, ctx.env.now());
  if (cap instanceof Promise) return cap.then((c) => uncapped(ctx, id, node, action, c));
  return uncapped(ctx, id, node, action, cap);
}

function uncapped(ctx: WalkContext, id: string, node: ActionNodeOf, action: ActionConfig, cap: string | undefined) {
  if (cap !== undefined) {
    ctx.out.capped.push({ cap, journeyId: ctx.inst.journeyId });
    throw new NodeFailure('frequencyCapped', '');
  }
  const data = ruleData(ctx, ctx.def.needs[id] ?? NONE, actionNeeds(action, node.params));
  if (data instanceof Promise) return data.then((d) => sendCommand(ctx, id, node, action, d));
  return sendCommand(ctx, id, node, action, data);
}

function sendCommand(
  ctx: WalkContext,
  id: string,
  node: ActionNodeOf,
  action: ActionConfig,
  data: RuleData,
): Visit | Promise<Visit> {
  const emitted = rule(() =>
    buildCommand({
      action,
      node,
      nodeId: id,
      instance: ctx.inst,
      data,
      timezone: ctx.def.timezone,
      now: ctx.env.now(),
      defaultTimeoutMs: ctx.env.limits.defaultActionTimeoutMs,
    }),
  );
  ctx.out.commands.push(emitted);
  const counted = ctx.env.frequency?.record(ctx.inst.profileKey, action, ctx.env.now());
  if (counted instanceof Promise) return counted.then(() => afterCommand(ctx, id, node, emitted));
  return afterCommand(ctx, id, node, emitted);
}

function afterCommand(ctx: WalkContext, id: string, node: ActionNodeOf, emitted: EmittedCommand): Visit {
  if (!node.onError) return node.next;
  const dueAt = Date.parse(emitted.command.deadline) + ctx.env.limits.actionResultGraceMs;
  const timer = newTimer(ctx, 'actionTimeout', id, dueAt);
  ctx.inst.blocked = { kind: 'action', nodeId: id, commandId: emitted.command.commandId, token: timer.token, dueAt };
  return BLOCKED;
}

function visitUpdateProfile(ctx: WalkContext, id: string, node: UpdateProfileNode): Visit | Promise<Visit> {
  const update = (data: RuleData) => {
    const profile = rule(() => updatedProfile(ctx.profile, node, (v) => evaluateRule(v, data, ctx.def.timezone)));
    ctx.profile = profile;
    ctx.out.profileUpdates.push({ profileKey: ctx.inst.profileKey, profile });
    return node.next;
  };
  const data = ruleData(ctx, ctx.def.needs[id] ?? NONE);
  return data instanceof Promise ? data.then(update) : update(data);
}

function visitJump(ctx: WalkContext, node: JumpNode): Visit {
  const event = ctx.event ?? lastEvent(ctx.inst);
  if (event) ctx.out.jumps.push({ journeyId: node.journey, fromJourneyId: ctx.inst.journeyId, event });
  if (node.next !== undefined) return node.next;
  finish(ctx, ctx.inst.currentNode, 'ended', 'jumped');
  return ENDED;
}

/** The latest event the instance consumed (the entry event if none since). */
function lastEvent(inst: InstanceState): NormalizedEvent | undefined {
  let last: NormalizedEvent | undefined;
  for (const e of Object.values(inst.events)) if (!last || e.timestamp >= last.timestamp) last = e;
  return last;
}

function visit(ctx: WalkContext, id: string, node: JourneyNode): Visit | Promise<Visit> {
  switch (node.type) {
    case 'condition':
      return visitCondition(ctx, id, node);
    case 'split': {
      const i = pickWeighted(
        node.paths.map((p) => p.weight),
        splitFraction(ctx.inst.profileKey, ctx.inst.journeyId, id),
      );
      return node.paths[i]?.next ?? node.paths[0]?.next ?? ENDED;
    }
    case 'wait':
      return visitWait(ctx, id, node);
    case 'event':
      return visitEvent(ctx, id);
    case 'action':
      return visitAction(ctx, id, node);
    case 'updateProfile':
      return visitUpdateProfile(ctx, id, node);
    case 'jump':
      return visitJump(ctx, node);
    case 'end':
      finish(ctx, id, 'ended', 'end');
      return ENDED;
  }
}

function onFailure(ctx: WalkContext, id: string, node: JourneyNode | undefined, err: NodeFailure): Visit {
  ctx.inst.lastError = err.message ? `${err.reason}: ${err.message}` : err.reason;
  if (node?.type === 'action' && node.onError) {
    step(ctx, id, 'error', err.reason);
    return node.onError;
  }
  finish(ctx, id, 'error', err.reason);
  return ENDED;
}

/**
 * Walks from `nodeId` (whose step event has status `first`) until the instance blocks or ends.
 * Programming errors propagate; journey-data failures become error paths or `error` step events.
 */
export async function walk(ctx: WalkContext, nodeId: string, first: StepStatus = 'transitioned'): Promise<WalkResult> {
  let id = nodeId;
  let status = first;
  for (let i = 0; ; i++) {
    const node = ctx.def.config.nodes[id];
    const after = ctx.inst.currentNode;
    ctx.inst.currentNode = id;
    if (ctx.env.paused?.(ctx.inst.journeyId)) {
      // paused: halt before evaluating the node; the resume sweep walks on from here (its step is written then)
      ctx.inst.blocked = { kind: 'paused', nodeId: id, after };
      return 'blocked';
    }
    if (!node || i >= ctx.env.limits.maxStepsPerEvaluation) {
      ctx.inst.lastError = node
        ? `tooManySteps: more than ${ctx.env.limits.maxStepsPerEvaluation} steps for one input`
        : `unknownNode: node "${id}" is not in the journey`;
      finish(ctx, id, 'error', node ? 'tooManySteps' : 'unknownNode');
      return 'ended';
    }
    ctx.inst.visits[id] = (ctx.inst.visits[id] ?? 0) + 1;
    if (node.type !== 'end') step(ctx, id, status);
    status = 'transitioned';
    let next: Visit;
    try {
      // awaited only when the node had something to wait for (a data source, a store): most nodes are synchronous
      const visited = visit(ctx, id, node);
      next = visited instanceof Promise ? await visited : visited;
    } catch (err) {
      if (!(err instanceof NodeFailure)) throw err;
      next = onFailure(ctx, id, node, err);
    }
    if (next === BLOCKED) return 'blocked';
    if (next === ENDED) return 'ended';
    id = next;
  }
}
