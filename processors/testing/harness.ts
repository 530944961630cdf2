/**
 * A broker-less harness around the real JourneyEngine and TimerIndex with a ManualClock: publish journey
 * versions, send events and results, advance time (due timers fire in order), read outputs. Used by the
 * state-machine unit tests; the topology-based tests use the TopologyTestDriver instead.
 */
import type { ActionConfig, ActionResult, DataSourceConfig, JourneyConfig, JourneyState } from '../../schemas/index.js';
import { InMemoryKeyValueStore } from '../../topology/index.js';
import { ManualClock } from '../../topology/testing/index.js';
import {
  DEFAULT_LIMITS,
  defineJourney,
  emptyOutcome,
  type EngineEnv,
  type EngineLimits,
  type FrequencyLedger,
  type EntryLedger,
  type JourneyCatalog,
  type JourneyDef,
  JourneyEngine,
  mergeOutcome,
  type NormalizedEvent,
  type Outcome,
  type ProfileState,
  type JourneyTimer,
  TimerIndex,
} from '../journey/index.js';

export type DataSourceFn = (id: string, profileKey: string) => Promise<unknown>;

export class Harness implements JourneyCatalog {
  readonly clock = new ManualClock(Date.UTC(2026, 0, 5, 12));
  readonly store = new InMemoryKeyValueStore<ProfileState>('instances');
  readonly timers = new TimerIndex(new InMemoryKeyValueStore<JourneyTimer>('timers'));
  readonly defs = new Map<string, JourneyDef>();
  readonly actions = new Map<string, ActionConfig>();
  readonly profiles = new Map<string, unknown>();
  readonly fetches: string[] = [];
  readonly out: Outcome = emptyOutcome();
  /** Journeys paused (the config view's `isPaused`). */
  readonly paused = new Set<string>();
  readonly engine: JourneyEngine;

  constructor(
    private readonly dataSource: DataSourceFn = () => Promise.resolve({}),
    limits: Partial<EngineLimits> = {},
    frequency?: FrequencyLedger,
    entries?: EntryLedger,
  ) {
    const env: EngineEnv = {
      now: () => this.clock.now(),
      action: (id) => this.actions.get(id),
      datasource: (id): DataSourceConfig => ({ id, type: 'http', url: `http://127.0.0.1/${id}`, method: 'GET' }),
      fetchDatasources: async (ids, scope) => {
        const got: Record<string, unknown> = {};
        for (const id of ids) {
          this.fetches.push(id);
          got[id] = await this.dataSource(id, scope.profileKey);
        }
        return got;
      },
      limits: { ...DEFAULT_LIMITS, ...limits },
      ...(frequency ? { frequency } : {}),
      ...(entries ? { entries } : {}),
      paused: (id) => this.paused.has(id),
    };
    this.engine = new JourneyEngine(env, this, this.store);
  }

  liveForEvent(eventConfigId: string): JourneyDef[] {
    return [...this.defs.values()].filter((d) => d.state === 'live' && d.config.entry.event === eventConfigId);
  }

  version(journeyId: string, version: number): JourneyDef | undefined {
    return this.defs.get(`${journeyId}@${version}`);
  }

  live(journeyId: string): JourneyDef | undefined {
    return [...this.defs.values()].find((d) => d.id === journeyId && d.state === 'live');
  }

  /** Publishes `config` as `version`; the previously live version is closed. */
  publish(config: JourneyConfig, version = 1): void {
    for (const [k, d] of this.defs)
      if (d.id === config.id && d.state === 'live') this.defs.set(k, { ...d, state: 'closed' });
    this.defs.set(`${config.id}@${version}`, defineJourney(config, version, 'live'));
  }

  setState(journeyId: string, version: number, state: JourneyState): void {
    const d = this.version(journeyId, version);
    if (d) this.defs.set(`${journeyId}@${version}`, { ...d, state });
  }

  private async record(o: Outcome): Promise<Outcome> {
    mergeOutcome(this.out, o);
    for (const op of o.timers) await this.timers.apply(op);
    for (const u of o.profileUpdates) this.profiles.set(u.profileKey, u.profile);
    return o;
  }

  async send(event: NormalizedEvent): Promise<Outcome> {
    const key = `${event.identity.namespace}:${event.identity.id}`;
    return this.record(await this.engine.onEvent(event, this.profiles.get(key)));
  }

  async result(commandId: string, status: ActionResult['status'], extra: Partial<ActionResult> = {}) {
    const cmd = this.out.commands.find((c) => c.command.commandId === commandId)?.command;
    if (!cmd) throw new Error(`no command ${commandId}`);
    const r: ActionResult = {
      commandId,
      instanceId: cmd.instanceId,
      nodeId: cmd.nodeId,
      status,
      attempts: 1,
      ...extra,
    };
    return this.record(await this.engine.onResult(r, cmd.profileKey, this.profiles.get(cmd.profileKey)));
  }

  async stop(journeyId: string, version: number): Promise<Outcome> {
    this.setState(journeyId, version, 'stopped');
    return this.record(await this.engine.stopVersion(journeyId, version));
  }

  /** Resumes a paused journey: the resume sweep continues every instance the pause halted. */
  async resume(journeyId: string): Promise<Outcome> {
    this.paused.delete(journeyId);
    return this.record(await this.engine.resumeJourney(journeyId, (key) => Promise.resolve(this.profiles.get(key))));
  }

  /** Advances the clock and fires every timer due by then, earliest first. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    for (;;) {
      const due = await this.timers.due(this.clock.now(), 100);
      if (due.length === 0) return;
      for (const t of due) {
        await this.timers.remove(t);
        await this.record(await this.engine.onTimer(t, this.profiles.get(t.profileKey)));
      }
    }
  }

  /** Step events as `nodeId:status[:reason]` strings, for one profile. */
  trail(who: string): string[] {
    return this.out.steps
      .filter((s) => s.profileKey === `email:${who}`)
      .map((s) => [s.nodeId, s.status, s.reason].filter(Boolean).join(':'));
  }

  commandsFor(who: string) {
    return this.out.commands.filter((c) => c.command.profileKey === `email:${who}`).map((c) => c.command);
  }

  reasons(): string[] {
    return this.out.discards.map((d) => d.reason);
  }
}
