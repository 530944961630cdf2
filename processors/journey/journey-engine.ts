/**
 * One partition's journey engine: routes normalized events, timers, action results and stops to the instance
 * state machine across every journey of a profile, and keeps each profile's state in a `KeyValueStore` keyed by
 * profile key (one read per event; value: the profile's state per journey id), so a profile is in at most one
 * place per journey.
 * The match/evaluate/timer processors are thin adapters over it.
 */
import type { ActionResult } from '../../schemas/index.js';
import { isoAt } from './iso-time.js';
import type { KeyValueStore } from '../../topology/index.js';
import { JourneyMachine, type Transition } from './journey-machine.js';
import {
  emptyOutcome,
  mergeOutcome,
  profileKeyOf,
  type EngineEnv,
  type JourneyDef,
  type NormalizedEvent,
  type Outcome,
  type ProfileJourney,
  type JumpRequest,
  type JourneyTimer,
  type EntryLedger,
} from './journey-model.js';

/** The journeys the engine can see (fed from `jo.config` by the config view). */
export interface JourneyCatalog {
  /** Live versions whose entry event is `eventConfigId`. */
  liveForEvent(eventConfigId: string): readonly JourneyDef[];
  /** Any version (live, closed or stopped) that instances may still run on. */
  version(journeyId: string, version: number): JourneyDef | undefined;
  /** The live version of a journey (what a `jump` node enters), if any. */
  live(journeyId: string): JourneyDef | undefined;
}

/**
 * Folds one transition of an event into the input's outcome (its jumps into `jumps`, to run after every journey
 * saw the event); true when the profile's state in that journey changed.
 */
function fold(state: ProfileState, t: Transition, out: Outcome, jumps: JumpRequest[]): boolean {
  take(t, out, jumps);
  if (t.state.entries === 0) return false;
  state.journeys[t.state.journeyId] = t.state;
  return true;
}

/** Moves a transition's jumps to `jumps` and its outputs into `out` (nothing to move when it wrote into `out`). */
function take(t: Transition, out: Outcome, jumps: JumpRequest[]): void {
  if (t.out.jumps.length > 0) jumps.push(...t.out.jumps.splice(0));
  if (t.out !== out) mergeOutcome(out, t.out);
}

/** Most jumps one input may cause (jump cycles are refused at publish time; this bounds a cycle that slipped in). */
const MAX_JUMPS = 10;

/** Store value: one profile's state in each journey it has been in. */
export interface ProfileState {
  readonly journeys: Record<string, ProfileJourney>;
}

/** A profile's state as read from the store (a fresh empty one when it has none). */
function orEmpty(state: ProfileState | undefined): ProfileState {
  return state ?? { journeys: {} };
}

export class JourneyEngine {
  private readonly machine: JourneyMachine;

  constructor(
    private readonly env: EngineEnv,
    private readonly catalog: JourneyCatalog,
    private readonly store: KeyValueStore<ProfileState>,
  ) {
    this.machine = new JourneyMachine(env);
  }

  /**
   * Counts the instances `out` ended for journeys with `maxConcurrentInstances` (entries count themselves); `from`:
   * the first exit of this input when `out` gathers several inputs (an audience slice). Synchronous unless an exit
   * is counted (most journeys have no cap: no promise per input for them).
   */
  private counted(out: Outcome, from = 0): Outcome | Promise<Outcome> {
    const ledger = this.env.entries;
    if (!ledger) return out;
    for (let i = from; i < out.exits.length; i++) {
      const e = out.exits[i] as Outcome['exits'][number];
      if (this.catalog.version(e.journeyId, e.version)?.config.maxConcurrentInstances !== undefined)
        return this.countEnded(out, i, ledger);
    }
    return out;
  }

  private async countEnded(out: Outcome, from: number, ledger: EntryLedger): Promise<Outcome> {
    for (let i = from; i < out.exits.length; i++) {
      const e = out.exits[i] as Outcome['exits'][number];
      const def = this.catalog.version(e.journeyId, e.version);
      if (def?.config.maxConcurrentInstances !== undefined) await ledger.ended(def);
    }
    return out;
  }

  private async load(profileKey: string): Promise<ProfileState> {
    return orEmpty(await this.store.get(profileKey));
  }

  private async put(state: ProfileState, t: Transition, out: Outcome, profile?: unknown): Promise<boolean> {
    const jumps: JumpRequest[] = [];
    take(t, out, jumps);
    if (t.state.entries > 0) {
      state.journeys[t.state.journeyId] = t.state;
      await this.store.put(t.state.profileKey, state);
    }
    if (jumps.length > 0) await this.jump(state, jumps, out, profile, t.state.profileKey);
    return t.handled;
  }

  /** Enters the profile into the journeys `jump` nodes named (entry rules apply); a refusal is a discard there. */
  private async jump(state: ProfileState, jumps: JumpRequest[], out: Outcome, profile: unknown, profileKey: string) {
    for (let n = 0; jumps.length > 0; n++) {
      const j = jumps.shift() as JumpRequest;
      const def = this.catalog.live(j.journeyId);
      if (!def || n >= MAX_JUMPS) {
        out.discards.push({ reason: def ? 'tooManyJumps' : 'jumpTargetNotLive', journeyId: j.journeyId });
        continue;
      }
      const prev = state.journeys[def.id] ?? { journeyId: def.id, profileKey, entries: 0 };
      const latest = out.profileUpdates.at(-1)?.profile ?? profile;
      const t = await this.machine.enter(def, prev, j.event, latest, out);
      take(t, out, jumps);
      if (t.state.entries > 0) {
        state.journeys[def.id] = t.state;
        await this.store.put(profileKey, state);
      }
    }
  }

  /** A normalized event of `profile`: continuations first, then entries into live journeys. */
  async onEvent(event: NormalizedEvent, profile: unknown): Promise<Outcome> {
    const out = emptyOutcome({ type: 'event', id: event.id });
    const profileKey = profileKeyOf(event.identity);
    const state = orEmpty(await this.store.get(profileKey));
    const took = new Set<string>();
    // One event can move several of the profile's journeys: the state is written once, after all of them (each
    // write serializes the whole profile state and adds a changelog record).
    let changed = false;
    const jumps: JumpRequest[] = [];
    for (const pj of Object.values(state.journeys)) {
      const inst = pj.instance;
      if (!inst) continue;
      const def = this.catalog.version(pj.journeyId, inst.version);
      if (!def) continue;
      const t = await this.machine.onEvent(def, pj, event, profile, out);
      if (fold(state, t, out, jumps)) changed = true;
      if (t.handled) took.add(pj.journeyId);
    }
    for (const def of this.catalog.liveForEvent(event.eventConfigId)) {
      if (took.has(def.id)) continue;
      if (def.config.namespace !== event.identity.namespace) {
        out.discards.push({ reason: 'namespaceMismatch', journeyId: def.id });
        continue;
      }
      const t = await this.machine.enter(def, state.journeys[def.id], event, profile, out);
      if (fold(state, t, out, jumps)) changed = true;
      if (t.handled) took.add(def.id);
    }
    if (changed) await this.store.put(profileKey, state);
    if (jumps.length > 0) await this.jump(state, jumps, out, profile, profileKey);
    if (took.size === 0 && out.discards.length === 0) {
      out.discards.push({ reason: 'noJourneyForEvent' });
      // Counted always; written only in verbose mode, with empty journey fields (no journey to attribute it to).
      if (this.env.verboseSteps)
        out.steps.push({
          journeyId: '',
          journeyVersion: 0,
          instanceId: '',
          profileKey,
          nodeId: '',
          nodeType: 'event',
          status: 'discarded',
          reason: 'noJourneyForEvent',
          timestamp: isoAt(this.env.now()),
        });
    }
    return this.counted(out);
  }

  private async running(profileKey: string, journeyId: string | undefined, instanceId: string) {
    const state = orEmpty(await this.store.get(profileKey));
    const pj = journeyId
      ? state.journeys[journeyId]
      : Object.values(state.journeys).find((j) => j.instance?.instanceId === instanceId);
    const inst = pj?.instance;
    if (!pj || !inst || inst.instanceId !== instanceId) return undefined;
    const def = this.catalog.version(pj.journeyId, inst.version);
    return def ? { state, pj, def } : undefined;
  }

  /** A due timer; stale timers (the instance moved on or ended) produce a `staleTimer` discard and nothing else. */
  async onTimer(timer: JourneyTimer, profile: unknown): Promise<Outcome> {
    const out = emptyOutcome({ type: 'timer', id: timer.token });
    const found = await this.running(timer.profileKey, timer.journeyId, timer.instanceId);
    const handled = found
      ? await this.put(found.state, await this.machine.onTimer(found.def, found.pj, timer, profile, out), out, profile)
      : false;
    if (!handled && out.steps.length === 0) out.discards.push({ reason: 'staleTimer', journeyId: timer.journeyId });
    return this.counted(out);
  }

  /** An action result from a connector; `profileKey` is the record key when the result does not carry it. */
  async onResult(result: ActionResult, recordKey: string, profile: unknown): Promise<Outcome> {
    const out = emptyOutcome({ type: 'result', id: result.commandId });
    const found = await this.running(result.profileKey ?? recordKey, result.journeyId, result.instanceId);
    if (!found) {
      out.discards.push({ reason: 'staleActionResult', ...(result.journeyId ? { journeyId: result.journeyId } : {}) });
      return out;
    }
    await this.put(found.state, await this.machine.onResult(found.def, found.pj, result, profile, out), out, profile);
    return this.counted(out);
  }

  /**
   * A manual exit (control record): ends the profile's running instance of `journeyId` (`ended`, `manualExit`).
   * Idempotent: with no running instance (already exited, a repeated request) it is only counted as discarded.
   */
  async exitProfile(profileKey: string, journeyId: string, controlId: string): Promise<Outcome> {
    const out = emptyOutcome({ type: 'control', id: controlId });
    const state = await this.load(profileKey);
    const pj = state.journeys[journeyId];
    const def = pj?.instance ? this.catalog.version(journeyId, pj.instance.version) : undefined;
    if (!pj || !def) {
      out.discards.push({ reason: 'noRunningInstance', journeyId });
      return out;
    }
    await this.put(state, this.machine.stop(def, pj, 'manualExit', out), out);
    return this.counted(out);
  }

  /**
   * Enters `profileKey` into audience journey `def` for the audience run `run` (its id names the step records'
   * cause), adding what it did to `out`: an audience slice gathers its entries in one outcome (emitted and counted
   * once per slice, not once per profile). The caller has checked the audience rule. A profile already in the journey
   * is skipped quietly (an audience run must not write a discard per member of a large audience); re-entrance rules
   * apply otherwise.
   */
  async enterAudience(
    def: JourneyDef,
    profileKey: string,
    profile: unknown,
    run: { readonly id: string; readonly at: number; readonly timestamp: string },
    out: Outcome,
  ): Promise<void> {
    const state = await this.load(profileKey);
    if (state.journeys[def.id]?.instance) {
      out.discards.push({ reason: 'alreadyInJourney', journeyId: def.id });
      return;
    }
    const colon = profileKey.indexOf(':');
    const event: NormalizedEvent = {
      id: `${run.id}/${profileKey}`,
      timestamp: run.timestamp,
      eventType: '$audience',
      eventConfigId: '$audience',
      identity: { namespace: profileKey.slice(0, colon), id: profileKey.slice(colon + 1) },
      xdm: {},
    };
    const exits = out.exits.length;
    await this.put(state, await this.machine.enter(def, state.journeys[def.id], event, profile, out), out, profile);
    await this.counted(out, exits);
  }

  /**
   * Continues every instance of this partition that a pause of `journeyId` halted (the journey was resumed).
   * Scans the store, like `stopVersion`: a resume is rare and must reach every halted instance.
   */
  async resumeJourney(journeyId: string, profileOf: (key: string) => Promise<unknown>): Promise<Outcome> {
    const out = emptyOutcome({ type: 'control', id: `resume/${journeyId}` });
    const halted: ProfileState[] = [];
    for await (const [, state] of this.store.all())
      if (state.journeys[journeyId]?.instance?.blocked?.kind === 'paused') halted.push(state);
    for (const state of halted) {
      const pj = state.journeys[journeyId];
      const def = pj?.instance ? this.catalog.version(journeyId, pj.instance.version) : undefined;
      if (!pj || !def) continue;
      const profile = (await profileOf(pj.profileKey)) ?? null;
      await this.put(state, await this.machine.resume(def, pj, profile, out), out, profile);
    }
    return this.counted(out);
  }

  /**
   * Ends every instance of this partition running on a stopped journey version (`journeyStopped`). Scans the
   * store: stops are rare and must reach instances that would otherwise sleep for weeks.
   */
  async stopVersion(journeyId: string, version: number): Promise<Outcome> {
    const out = emptyOutcome({ type: 'control', id: `stop/${journeyId}/${version}` });
    const def = this.catalog.version(journeyId, version);
    if (!def) return out;
    const victims: ProfileState[] = [];
    for await (const [, state] of this.store.all())
      if (state.journeys[journeyId]?.instance?.version === version) victims.push(state);
    for (const state of victims) {
      const pj = state.journeys[journeyId];
      if (pj) await this.put(state, this.machine.stop(def, pj, 'journeyStopped', out), out);
    }
    return this.counted(out);
  }
}
