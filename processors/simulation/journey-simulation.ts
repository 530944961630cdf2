/**
 * `JourneySimulation`: the real journey topology (every processor of `buildJourneyTopology`) on the in-memory runner
 * and a simulated clock. Events are placed on a timeline; timers fire at their due time (a 30-day wait costs one
 * step, not 30 days); every command is answered by a canned endpoint and its result fed back after the simulated
 * latency. Nothing is sent: commands, step records, timers and dead letters reach the caller's observer only.
 *
 * Who calls it: test mode (the admin API, `jo test`) and `jo replay`. It reads no system clock, no randomness,
 * no network: the same inputs give the same observations, in the same order.
 */
import { journeyRuntimeNames } from '../runtime-names.js';
import {
  configKey,
  DlqHeaders,
  type ActionCommand,
  type ActionResult,
  type ActionConfig,
  type DataSourceConfig,
  type EventConfig,
  type JourneyRecord,
} from '../../schemas/index.js';
import {
  InMemoryRunner,
  ManualClock,
  TerminalError,
  type Counter,
  type Metrics,
  type MetricSpec,
  type RunnerOutput,
  ManualTimer,
} from '../../topology/index.js';
import { isoAt, type JourneyTimer } from '../journey/index.js';
import { STORES } from '../topology-options.js';
import { buildJourneyTopology } from '../journey-topology.js';
import { CannedEndpoints, type CannedEndpointSpecs, type SimulatedCall } from './canned-endpoints.js';
import { InputQueue } from './input-queue.js';
import { stepsOf, type SimStep } from './step-records.js';

/** What moved the engine: an event (its index among the events added), a timer, or an action result. */
export type SimCause =
  | { readonly type: 'event'; readonly index: number }
  | { readonly type: 'timer' }
  | { readonly type: 'result'; readonly commandId: string; readonly action: string }
  | { readonly type: 'setup' };

/** Everything the simulation observes, in processing order. Callbacks must not throw. */
export interface SimulationObserver {
  step?(step: SimStep, cause: SimCause): void;
  command?(command: ActionCommand, call: SimulatedCall, cause: SimCause): void;
  timerSet?(timer: JourneyTimer, at: number): void;
  timerDone?(timer: JourneyTimer, how: 'fired' | 'cancelled', at: number): void;
  discard?(reason: string, journeyId: string, cause: SimCause, at: number): void;
  deadLetter?(code: string, message: string, cause: SimCause, at: number): void;
}

export interface SimulationResources {
  readonly events: readonly EventConfig[];
  readonly actions: readonly ActionConfig[];
  readonly datasources: readonly DataSourceConfig[];
}

export interface JourneySimulationOptions {
  readonly resources: SimulationResources;
  /** Journey records as the simulated `jo.config` holds them (their `live` versions take entries). */
  readonly journeys: readonly JourneyRecord[];
  readonly responses?: CannedEndpointSpecs;
  /** Epoch ms the clock starts at. */
  readonly start: number;
  readonly observer: SimulationObserver;
  /** Inputs (events, timer firings, results) after which `run` stops with `TEST_SIMULATION_TOO_LARGE`. */
  readonly maxInputs?: number;
}

/** Thrown by `run` when the simulation would process more than `maxInputs` inputs. */
export class SimulationTooLargeError extends TerminalError {
  constructor(max: number) {
    super('TEST_SIMULATION_TOO_LARGE', `the simulation needs more than ${max} inputs (events, timers, results)`);
  }
}

type Input =
  | { readonly kind: 'event'; readonly index: number; readonly key: Buffer | null; readonly value: Buffer }
  | { readonly kind: 'result'; readonly command: ActionCommand; readonly value: ActionResult };

/**
 * Metrics of a simulation: nothing is kept (a replay of millions of events would keep every histogram sample),
 * except that the discard counter is reported to `onDiscard`.
 */
function discardTap(onDiscard: (labels: Record<string, string | number>) => void): Metrics {
  const none = () => undefined;
  return {
    counter: (spec: MetricSpec): Counter =>
      spec.name === 'jo_events_discarded_total' ? { inc: (labels) => onDiscard({ ...labels }) } : { inc: none },
    gauge: () => ({ set: none, inc: none, dec: none }),
    histogram: () => ({ observe: none }),
  };
}

const APP = 'jo-simulation';
/** The cause of every timer firing (one object: observers read it, never change it). */
const TIMER: SimCause = Object.freeze({ type: 'timer' });

export class JourneySimulation {
  readonly clock: ManualClock;
  readonly endpoints: CannedEndpoints;
  private readonly queue = new InputQueue<Input>();
  private readonly timerQueue = new InputQueue<string>();
  private readonly pending = new Map<string, JourneyTimer>();
  private cause: SimCause = { type: 'setup' };
  private inputs = 0;
  private events = 0;
  private runner!: InMemoryRunner;
  private readonly topics = { events: '', profiles: '', config: '', results: '', steps: '', dlq: '' };
  private commandTopics = new Set<string>();
  private lastIso = { ms: NaN, text: '' };

  private constructor(private readonly opts: JourneySimulationOptions) {
    this.clock = new ManualClock(opts.start);
    this.endpoints = new CannedEndpoints(opts.responses);
  }

  static async create(opts: JourneySimulationOptions): Promise<JourneySimulation> {
    const sim = new JourneySimulation(opts);
    await sim.start();
    return sim;
  }

  private async start(): Promise<void> {
    const metrics = discardTap((l) =>
      this.opts.observer.discard?.(String(l['reason'] ?? ''), String(l['journey'] ?? ''), this.cause, this.clock.now()),
    );
    const jt = buildJourneyTopology({
      clock: this.clock,
      metrics,
      // runtime waits (data-source timeouts) never expire on their own: canned data sources answer at once
      timer: new ManualTimer(),
      fetchDatasource: (ds) => this.endpoints.fetch(ds),
      // every timer fires at its due time: the punctuator is due after any step of the clock
      limits: { timerIntervalMs: 1, timerSliceSize: 100_000, stopCheckIntervalMs: 1 },
      // nothing here reads the per-node report: the observer gets every step record
      nodeReport: false,
    });
    const t = jt.topics;
    Object.assign(this.topics, {
      events: t.events,
      profiles: t.profiles,
      config: t.config,
      results: t.actionResults,
      steps: t.stepEvents,
      dlq: t.dlq,
    });
    this.commandTopics = new Set(jt.connectors.map((c) => t.commands(c)));
    this.runner = await InMemoryRunner.create(jt.topology, {
      applicationId: APP,
      clock: this.clock,
      metrics,
      dlqTopic: t.dlq,
      names: journeyRuntimeNames,
      loggedStores: new Set([STORES.timers]),
      onOutput: (o) => this.output(o),
    });
    const { events, actions, datasources } = this.opts.resources;
    const at = this.clock.now();
    const put = (key: string, v: unknown) =>
      this.runner.send(this.topics.config, Buffer.from(key), Buffer.from(JSON.stringify(v)), at);
    for (const e of events) await put(configKey('event', e.id), e);
    for (const a of actions) await put(configKey('action', a.id), a);
    for (const d of datasources) await put(configKey('datasource', d.id), d);
    for (const j of this.opts.journeys) await put(configKey('journey', j.id), j);
  }

  /** Sets a profile (`null` deletes it) at the clock's current time, as a `jo.profiles` record would. */
  async profile(key: string, attributes: unknown): Promise<void> {
    const value = attributes === null ? null : Buffer.from(JSON.stringify(attributes));
    await this.runner.send(this.topics.profiles, Buffer.from(key), value, this.clock.now());
  }

  /** Places an event (a `jo.events` record value, JSON) at `at`; returns its index. */
  addEvent(at: number, value: Buffer | object, key: Buffer | string | null = null): number {
    const index = this.events++;
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value));
    const k = key === null || Buffer.isBuffer(key) ? key : Buffer.from(key);
    this.queue.add(at, { kind: 'event', index, key: k, value: bytes });
    return index;
  }

  /** Inputs processed so far (events, timer firings, action results). */
  get processed(): number {
    return this.inputs;
  }

  /** Earliest pending timer still set (Infinity when none). */
  private nextTimer(): number {
    for (let top = this.timerQueue.peek(); top; top = this.timerQueue.peek()) {
      const t = this.pending.get(top.item);
      if (t && t.dueAt === top.at) return top.at;
      this.timerQueue.take();
    }
    return Infinity;
  }

  private count(): void {
    this.inputs += 1;
    const max = this.opts.maxInputs;
    if (max !== undefined && this.inputs > max) throw new SimulationTooLargeError(max);
  }

  /**
   * Processes every input and timer due at or before `until`, in time order (timers before inputs of the same
   * millisecond), then leaves the clock at `until` (or where it was, if later).
   */
  async run(until: number): Promise<void> {
    for (;;) {
      const timerAt = this.nextTimer();
      const inputAt = this.queue.peekTime();
      if (Math.min(timerAt, inputAt) > until) break;
      this.count();
      if (timerAt <= inputAt) await this.fireTimers(timerAt);
      else await this.process();
    }
    if (until > this.clock.now() && Number.isFinite(until)) this.clock.set(until);
  }

  // (fireTimers and process hand back the runner's promise: no async frame of their own per input)
  private fireTimers(at: number): Promise<void> {
    // a timer due in the millisecond the punctuator last ran fires one millisecond later (as at the next tick)
    this.clock.set(Math.max(this.clock.now() + (at <= this.clock.now() ? 1 : 0), at));
    this.cause = TIMER;
    return this.runner.punctuate();
  }

  private process(): Promise<void> {
    const next = this.queue.take();
    if (!next) return Promise.resolve();
    if (next.at > this.clock.now()) this.clock.set(next.at);
    const input = next.item;
    if (input.kind === 'event') {
      this.cause = { type: 'event', index: input.index };
      return this.runner.send(this.topics.events, input.key, input.value, this.clock.now());
    }
    const c = input.command;
    this.cause = { type: 'result', commandId: c.commandId, action: c.action };
    // handed over as a value: the resume processor reads it as the JSON a connector would have written
    return this.runner.sendJson(this.topics.results, Buffer.from(c.profileKey), input.value, this.clock.now());
  }

  private output(o: RunnerOutput): void {
    const now = this.clock.now();
    const obs = this.opts.observer;
    if (o.store === STORES.timers) return this.timerChange(o, now);
    if (o.store !== undefined) return;
    if (o.topic === this.topics.steps) {
      for (const s of stepsOf(valueOf(o))) obs.step?.(s, this.cause);
    } else if (this.commandTopics.has(o.topic)) {
      const cmd = valueOf(o) as ActionCommand;
      const call = this.endpoints.call(cmd);
      // a copy and then a set, not `{ ...call.result, completedAt }`: V8 makes an object spread and then given a new
      // key slow to build and to read (the resume step's check read it ~40× slower; docs/benchmarks.md#replay)
      const value: { -readonly [K in keyof ActionResult]: ActionResult[K] } = Object.assign({}, call.result);
      value.completedAt = this.isoAt(now + call.latencyMs);
      this.queue.add(now + call.latencyMs, { kind: 'result', command: cmd, value });
      obs.command?.(cmd, call, this.cause);
    } else if (o.topic === this.topics.dlq) {
      obs.deadLetter?.(o.headers[DlqHeaders.code] ?? '', o.headers[DlqHeaders.message] ?? '', this.cause, now);
    }
  }

  /** `iso(ms)`, remembered for the last ms asked (the commands of one input ask the same one). */
  private isoAt(ms: number): string {
    if (ms !== this.lastIso.ms) this.lastIso = { ms, text: iso(ms) };
    return this.lastIso.text;
  }

  private timerChange(o: RunnerOutput, now: number): void {
    const key = o.storeKey ?? o.key?.toString('utf8') ?? '';
    const value = valueOf(o);
    if (value !== null) {
      const t = value as JourneyTimer;
      this.pending.set(key, t);
      this.timerQueue.add(t.dueAt, key);
      this.opts.observer.timerSet?.(t, now);
      return;
    }
    const t = this.pending.get(key);
    if (!t) return;
    this.pending.delete(key);
    const fired = this.cause.type === 'timer' && t.dueAt <= now;
    this.opts.observer.timerDone?.(t, fired ? 'fired' : 'cancelled', now);
  }

  /** Timers still set (sorted by due time). */
  pendingTimers(): JourneyTimer[] {
    return [...this.pending.values()].sort((a, b) => a.dueAt - b.dueAt || (a.token < b.token ? -1 : 1));
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}

function parse(b: Buffer | null): unknown {
  return b === null ? null : (JSON.parse(b.toString('utf8')) as unknown);
}

/**
 * An output's value as a consumer would parse it: handed over as it was written when the sink wrote JSON (and for
 * store changes: the value put).
 */
function valueOf(o: RunnerOutput): unknown {
  return o.decoded ? o.decoded.value : parse(o.value);
}

/** `new Date(ms).toISOString()` (the engine's `isoAt`: a time of day in a day already formatted costs ~0.07 µs). */
export function iso(ms: number): string {
  return isoAt(ms);
}
