/**
 * The journey instance state machine: given a journey version, one profile's state in that journey and an input
 * (entry event, continuation event, timer, action result, stop), compute the new state and the outputs
 * (commands, step events, timer set/cancel, discards). Pure apart from the injected `EngineEnv` (clock, configs,
 * data-source fetcher); the processors persist the state and emit the outputs in the task's transaction.
 */
import type { ActionResult } from '../../schemas/index.js';
import { isoAt } from './iso-time.js';
import {
  emptyOutcome,
  type EngineEnv,
  type InstanceState,
  type JourneyDef,
  type NormalizedEvent,
  type Outcome,
  type ProfileJourney,
  type JourneyTimer,
} from './journey-model.js';
import { testRule } from './rules.js';
import { entryRefusal, readsInstanceId } from './entry-condition.js';
import { applyExitCriteria, applyGoal, wantsEvent } from './exit-criteria.js';
import { finish, newTimer, ruleData, step, unblock, walk, type WalkContext } from './journey-walk.js';
import { indexedTimers, settleTimers } from './instance-timer.js';
import { instanceIdOf, lastConsumed, outcomeOf, outsideEntryWindow, profileKeyOf } from './instance-state.js';

export interface Transition {
  /** The profile's new state in the journey (write it back), or unchanged when nothing happened. */
  readonly state: ProfileJourney;
  /**
   * The outputs: the `out` the caller passed (the input's whole outcome, this transition's outputs appended to it,
   * so nothing is copied per journey and input), or a fresh outcome when it passed none.
   */
  readonly out: Outcome;
  /** Whether the input was used (an event consumed or queued, a timer or result applied). */
  readonly handled: boolean;
}

const ENTRY = '$entry';

export class JourneyMachine {
  constructor(private readonly env: EngineEnv) {}

  private ctx(def: JourneyDef, inst: InstanceState, profile: unknown, out: Outcome, event?: NormalizedEvent) {
    const subject = event ?? lastConsumed(inst);
    const c: WalkContext = {
      env: this.env,
      def,
      inst,
      profile,
      out,
      fetched: {},
      indexed: [],
      ...(event ? { event } : {}),
      ...(subject ? { subject } : {}),
    };
    return c;
  }

  /** `ctx` for an instance that existed before this input: notes where it stood (`Outcome.origins`). */
  private existing(def: JourneyDef, inst: InstanceState, profile: unknown, out: Outcome, event?: NormalizedEvent) {
    // a halted instance (paused journey) has no step at its current node yet: it stands where its last step was
    const b = inst.blocked;
    const at = b?.kind === 'paused' ? (b.after ?? inst.currentNode) : inst.currentNode;
    out.origins.push({ instanceId: inst.instanceId, nodeId: at });
    return { ...this.ctx(def, inst, profile, out, event), indexed: indexedTimers(inst) };
  }

  private settle(pj: ProfileJourney, ctx: WalkContext | undefined, handled: boolean): Transition {
    if (ctx) ctx.out.timers.push(...settleTimers(ctx.inst, ctx.indexed, ctx.ended !== undefined));
    if (ctx?.ended && pj.instance === ctx.inst) {
      delete pj.instance;
      pj.lastEndedAt = this.env.now();
    }
    return { state: pj, out: ctx?.out ?? emptyOutcome(), handled };
  }

  /**
   * A refused entry: always counted; written as a step only when it concerns the profile's place in the journey
   * (re-entrance) or verbose step events are on (the journey's `verboseSteps` or the engine's): an event that
   * does not meet a journey's entry condition is the common case, not news.
   */
  private refuse(def: JourneyDef, pj: ProfileJourney, reason: string, out: Outcome) {
    out.discards.push({ reason, journeyId: def.id });
    const quiet = reason === 'entryConditionNotMet';
    if (quiet && !(def.config.verboseSteps ?? this.env.verboseSteps ?? false)) return;
    out.steps.push({
      journeyId: def.id,
      journeyVersion: def.version,
      instanceId: pj.instance?.instanceId ?? pj.lastInstanceId ?? '',
      profileKey: pj.profileKey,
      nodeId: ENTRY,
      nodeType: 'entry',
      status: 'discarded',
      reason,
      timestamp: isoAt(this.env.now()),
    });
  }

  /** Re-entrance rule: why `pj` may not enter now, or undefined when it may. */
  private refusal(def: JourneyDef, pj: ProfileJourney): string | undefined {
    if (pj.instance) return 'reentranceNotAllowed';
    if (pj.entries === 0) return undefined;
    if (!def.reentrance.allowed) return 'reentranceNotAllowed';
    const since = this.env.now() - (pj.lastEndedAt ?? 0);
    return since < def.reentrance.waitPeriodMs ? 'reentranceNotAllowed' : undefined;
  }

  /**
   * An entry event for journey version `def` (the live one). Creates an instance when the journey is live, the
   * re-entrance rules allow it and the entry condition holds; otherwise records a discard.
   */
  async enter(
    def: JourneyDef,
    prev: ProfileJourney | undefined,
    event: NormalizedEvent,
    profile: unknown,
    out: Outcome = emptyOutcome(),
  ) {
    const now = this.env.now();
    const pj: ProfileJourney = prev ?? { journeyId: def.id, profileKey: profileKeyOf(event), entries: 0 };
    if (def.state !== 'live') {
      out.discards.push({ reason: 'journeyNotLive', journeyId: def.id });
      return { state: pj, out, handled: false };
    }
    const refused =
      (this.env.paused?.(def.id) ? 'journeyPaused' : undefined) ??
      outsideEntryWindow(def, now) ??
      this.refusal(def, pj);
    if (refused) {
      this.refuse(def, pj, refused, out);
      return { state: pj, out, handled: false };
    }
    // The id is a hash: made once the entry condition holds, unless the condition may read it (entry-condition.ts).
    const condition = def.config.entry.condition;
    const early = condition === undefined || readsInstanceId(condition);
    const inst: InstanceState = {
      instanceId: early ? instanceIdOf(def, pj, event) : '',
      journeyId: def.id,
      version: def.version,
      profileKey: pj.profileKey,
      enteredAt: now,
      entryEventId: event.id,
      currentNode: def.config.start,
      events: { [event.eventConfigId]: event },
      lastEvent: event,
      actions: {},
      visits: {},
      seq: 0,
      timeout: { token: '', dueAt: now + def.timeoutMs },
      pending: [],
    };
    const ctx = this.ctx(def, inst, profile, out, event);
    const refusal = condition === undefined ? undefined : await entryRefusal(ctx, condition, def.needs[ENTRY] ?? []);
    if (refusal) {
      this.refuse(def, pj, refusal, out);
      return { state: pj, out, handled: false };
    }
    // set in place: the field keeps its place in the object (and so in the stored JSON)
    if (!early) (inst as { instanceId: string }).instanceId = instanceIdOf(def, pj, event);
    // the ledger answers at once for a journey without caps: awaited only when it did not
    const admitted = this.env.entries?.admit(def, now);
    const capped = admitted instanceof Promise ? await admitted : admitted;
    if (capped) {
      this.refuse(def, pj, capped, out);
      return { state: pj, out, handled: false };
    }
    const counted = this.env.entries?.entered(def, now);
    if (counted instanceof Promise) await counted;
    inst.timeout = {
      token: newTimer(ctx, 'journeyTimeout', '$journey', inst.timeout.dueAt).token,
      dueAt: inst.timeout.dueAt,
    };
    pj.entries += 1;
    pj.lastEnteredAt = now;
    pj.lastInstanceId = inst.instanceId;
    pj.instance = inst;
    out.entries.push({ journeyId: def.id, version: def.version });
    await walk(ctx, def.config.start, 'entered');
    return this.settle(pj, ctx, true);
  }

  /**
   * An event for the profile's running instance of `def`: continues it when it waits on an `event` node that
   * accepts the event (first match wins), queues it while an action result is awaited (at most
   * `maxPendingEvents`), and otherwise discards it. The journey's goal and exit criteria are applied first.
   */
  async onEvent(
    def: JourneyDef,
    pj: ProfileJourney,
    event: NormalizedEvent,
    profile: unknown,
    out: Outcome = emptyOutcome(),
  ): Promise<Transition> {
    const inst = pj.instance;
    if (!inst) return { state: pj, out, handled: false };
    const ctx = this.existing(def, inst, profile, out, event);
    if (def.state === 'stopped') {
      finish(ctx, inst.currentNode, 'ended', 'journeyStopped');
      return this.settle(pj, ctx, false);
    }
    // Events the journey does not reference are none of its business (not even a discard).
    if (!def.events.includes(event.eventConfigId)) return { state: pj, out: ctx.out, handled: false };
    inst.events[event.eventConfigId] = event;
    // Goal, then exit criteria, before the event may continue the instance (exit-criteria.ts).
    const goal = await applyGoal(ctx, event);
    if (goal === 'ended' || (await applyExitCriteria(ctx, event))) return this.settle(pj, ctx, true);
    if (goal === 'reached' && !wantsEvent(ctx, event)) return this.settle(pj, ctx, true);
    const handled = await this.continueWith(ctx, event);
    return this.settle(pj, ctx, handled || goal === 'reached');
  }

  private async continueWith(ctx: WalkContext, event: NormalizedEvent): Promise<boolean> {
    const { inst, def, out } = ctx;
    const b = inst.blocked;
    if (b?.kind === 'action' || b?.kind === 'paused') {
      if (inst.pending.length >= this.env.limits.maxPendingEvents) {
        step(ctx, b.nodeId, 'discarded', 'tooManyPendingEvents');
        out.discards.push({ reason: 'tooManyPendingEvents', journeyId: def.id });
        return false;
      }
      inst.pending.push(event);
      return true;
    }
    const node = b?.kind === 'event' ? def.config.nodes[b.nodeId] : undefined;
    if (b?.kind !== 'event' || node?.type !== 'event') {
      step(ctx, inst.currentNode, 'discarded', 'notWaitingForEvent');
      out.discards.push({ reason: 'notWaitingForEvent', journeyId: def.id });
      return false;
    }
    for (const e of node.events) {
      if (e.event !== event.eventConfigId) continue;
      if (e.condition !== undefined) {
        let ok: boolean;
        try {
          ok = testRule(e.condition, await ruleData(ctx, def.needs[b.nodeId] ?? []), def.timezone);
        } catch (err) {
          inst.lastError = (err as Error).message;
          finish(ctx, b.nodeId, 'error', 'ruleFailed');
          return true;
        }
        if (!ok) continue;
      }
      unblock(ctx);
      inst.lastEvent = event;
      await walk(ctx, e.next);
      return true;
    }
    step(ctx, b.nodeId, 'discarded', 'eventConditionNotMet');
    out.discards.push({ reason: 'eventConditionNotMet', journeyId: def.id });
    return false;
  }

  /** A due timer. A timer whose token no longer matches what the instance waits for is stale and ignored. */
  async onTimer(
    def: JourneyDef,
    pj: ProfileJourney,
    timer: JourneyTimer,
    profile: unknown,
    out: Outcome = emptyOutcome(),
  ): Promise<Transition> {
    const inst = pj.instance;
    if (!inst || inst.instanceId !== timer.instanceId) return { state: pj, out, handled: false };
    // the timers processor removes the timer that fired
    const ctx = this.existing(def, inst, profile, out);
    ctx.indexed = ctx.indexed.filter((t) => t.token !== timer.token);
    if (def.state === 'stopped') {
      finish(ctx, inst.currentNode, 'ended', 'journeyStopped');
      return this.settle(pj, ctx, false);
    }
    if (timer.kind === 'journeyTimeout') {
      if (timer.token !== inst.timeout.token) return { state: pj, out, handled: false };
      finish(ctx, inst.currentNode, 'timedout', 'journeyTimeout');
      return this.settle(pj, ctx, true);
    }
    const b = inst.blocked;
    if (!b || b.token !== timer.token) return { state: pj, out, handled: false };
    // The timer fired, so there is nothing to cancel.
    inst.blocked = undefined; // not deleted: see unblock (journey-walk.ts)
    const node = def.config.nodes[b.nodeId];
    if (b.kind === 'wait' && node?.type === 'wait') await walk(ctx, node.next);
    else if (b.kind === 'event' && node?.type === 'event') {
      if (node.onTimeout) {
        step(ctx, b.nodeId, 'timedout', 'eventTimeout');
        await walk(ctx, node.onTimeout);
      } else finish(ctx, b.nodeId, 'timedout', 'eventTimeout');
    } else if (b.kind === 'action' && node?.type === 'action') {
      // No result, so no status: whether the call was made is the connector's to say (`timedout`/`expired`).
      inst.lastError = `no result for command ${b.commandId} within the grace period after its deadline`;
      step(ctx, b.nodeId, 'error', 'actionResultMissing');
      await walk(ctx, node.onError ?? node.next);
      await this.drainPending(ctx);
    }
    return this.settle(pj, ctx, true);
  }

  /** An action result: recorded as `actions.<nodeId>`; continues the instance when it waits for this command. */
  async onResult(
    def: JourneyDef,
    pj: ProfileJourney,
    result: ActionResult,
    profile: unknown,
    out: Outcome = emptyOutcome(),
  ): Promise<Transition> {
    const inst = pj.instance;
    if (!inst || inst.instanceId !== result.instanceId) {
      out.discards.push({ reason: 'staleActionResult', journeyId: def.id });
      return { state: pj, out, handled: false };
    }
    const ctx = this.existing(def, inst, profile, out);
    if (def.state === 'stopped') {
      finish(ctx, inst.currentNode, 'ended', 'journeyStopped');
      return this.settle(pj, ctx, false);
    }
    const b = inst.blocked;
    if (b?.kind !== 'action' || b.commandId !== result.commandId) {
      inst.actions[result.nodeId] = outcomeOf(result.commandId, result);
      return { state: pj, out, handled: true };
    }
    unblock(ctx);
    await this.applyResult(ctx, b.nodeId, b.commandId, result);
    return this.settle(pj, ctx, true);
  }

  private async applyResult(
    ctx: WalkContext,
    nodeId: string,
    commandId: string,
    result: Pick<ActionResult, 'status' | 'httpStatus' | 'response' | 'attempts' | 'error'>,
  ): Promise<void> {
    const { inst, def } = ctx;
    inst.actions[nodeId] = outcomeOf(commandId, result);
    const node = def.config.nodes[nodeId];
    if (node?.type !== 'action') return;
    if (result.status === 'ok') await walk(ctx, node.next);
    else {
      inst.lastError = `${result.status}: ${result.error ?? `HTTP ${result.httpStatus ?? '?'}`}`;
      const reason = `action${result.status.charAt(0).toUpperCase()}${result.status.slice(1)}`;
      step(ctx, nodeId, 'error', reason);
      await walk(ctx, node.onError ?? node.next);
    }
    await this.drainPending(ctx);
  }

  private async drainPending(ctx: WalkContext): Promise<void> {
    const { inst } = ctx;
    while (
      !ctx.ended &&
      inst.pending.length > 0 &&
      inst.blocked?.kind !== 'action' &&
      inst.blocked?.kind !== 'paused'
    ) {
      const event = inst.pending.shift();
      if (!event) break;
      const sub = this.ctx(ctx.def, inst, ctx.profile, ctx.out, event);
      await this.continueWith(sub, event);
      if (sub.ended) ctx.ended = sub.ended;
    }
  }

  /**
   * Continues an instance the pause halted (the journey was resumed): walks on from the node it halted at, then
   * feeds it the events queued meanwhile. Not handled when the instance is not halted.
   */
  async resume(def: JourneyDef, pj: ProfileJourney, profile: unknown, out = emptyOutcome()): Promise<Transition> {
    const inst = pj.instance;
    const b = inst?.blocked;
    if (!inst || b?.kind !== 'paused') return { state: pj, out, handled: false };
    const ctx = this.existing(def, inst, profile, out);
    inst.blocked = undefined; // not deleted: see unblock (journey-walk.ts)
    await walk(ctx, b.nodeId);
    await this.drainPending(ctx);
    return this.settle(pj, ctx, true);
  }

  /** Ends the running instance (journey version stopped): one `ended` step event with `reason`. */
  stop(def: JourneyDef, pj: ProfileJourney, reason = 'journeyStopped', out: Outcome = emptyOutcome()): Transition {
    const inst = pj.instance;
    if (!inst) return { state: pj, out, handled: false };
    const ctx = this.existing(def, inst, undefined, out);
    finish(ctx, inst.currentNode, 'ended', reason);
    return this.settle(pj, ctx, true);
  }
}
