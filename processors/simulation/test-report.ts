/**
 * The answer of a journey test: an observer of a `JourneySimulation` that keeps everything a journey author wants
 * to see — each profile's trail of steps with simulated timestamps, every command as it would have been sent (and
 * the canned answer it got), the timers set and what became of them, per-node counts, discards with reasons, error
 * steps with their node, dead letters. Built in processing order from deterministic inputs, so the same test gives
 * byte-identical JSON.
 */
import type { ActionCommand } from '../../schemas/index.js';
import type { JourneyTimer } from '../journey/index.js';
import type { SimulatedCall } from './canned-endpoints.js';
import { iso, type SimCause, type SimulationObserver } from './journey-simulation.js';
import type { SimStep } from './step-records.js';

export interface TrailStep {
  readonly timestamp: string;
  readonly nodeId: string;
  readonly nodeType: string;
  readonly status: string;
  readonly reason?: string;
  readonly cause: ReportCause;
}

export type ReportCause =
  | { readonly type: 'event'; readonly event: number }
  | { readonly type: 'timer' }
  | { readonly type: 'result'; readonly action: string; readonly commandId: string }
  | { readonly type: 'setup' };

export interface ReportCommand {
  readonly timestamp: string;
  readonly profileKey: string;
  readonly nodeId: string;
  readonly action: string;
  readonly commandId: string;
  /** The request as the connector would send it, `idempotency-key` included (auth is the connector's: not shown). */
  readonly request: ActionCommand['request'];
  readonly connector?: Readonly<Record<string, unknown>>;
  readonly result: {
    readonly status: string;
    readonly httpStatus?: number;
    readonly attempts: number;
    readonly arrivesAt: string;
  };
}

export interface ReportTimer {
  readonly setAt: string;
  readonly dueAt: string;
  readonly kind: string;
  readonly profileKey: string;
  readonly nodeId: string;
  outcome: 'pending' | 'fired' | 'cancelled';
  doneAt?: string;
}

export interface JourneyTestReport {
  readonly journey: { readonly id: string; readonly version: number; readonly state: string };
  readonly start: string;
  readonly end: string;
  readonly profiles: Record<string, { readonly trail: TrailStep[]; readonly commands: number }>;
  readonly commands: ReportCommand[];
  readonly timers: ReportTimer[];
  readonly nodes: Record<string, Record<string, number>>;
  readonly discards: Array<{ readonly timestamp: string; readonly reason: string; readonly cause: ReportCause }>;
  readonly errors: Array<{
    readonly timestamp: string;
    readonly profileKey: string;
    readonly nodeId: string;
    readonly reason: string;
  }>;
  readonly deadLetters: Array<{
    readonly timestamp: string;
    readonly code: string;
    readonly message: string;
    readonly cause: ReportCause;
  }>;
  readonly calls: Record<string, number>;
  readonly stats: {
    readonly events: number;
    readonly inputs: number;
    readonly steps: number;
    readonly commands: number;
    readonly timersSet: number;
    readonly timersFired: number;
  };
}

function causeOf(c: SimCause): ReportCause {
  if (c.type === 'event') return { type: 'event', event: c.index };
  if (c.type === 'result') return { type: 'result', action: c.action, commandId: c.commandId };
  return { type: c.type };
}

/** Collects a test's observations; `report` assembles the answer once the simulation has run. */
export class TestReportBuilder implements SimulationObserver {
  private readonly trails = new Map<string, TrailStep[]>();
  private readonly commandsOf = new Map<string, number>();
  private readonly commands: ReportCommand[] = [];
  private readonly timers: ReportTimer[] = [];
  private readonly timerByToken = new Map<string, ReportTimer>();
  private readonly nodes = new Map<string, Map<string, number>>();
  private readonly discards: JourneyTestReport['discards'] = [];
  private readonly errors: JourneyTestReport['errors'] = [];
  private readonly deadLetters: JourneyTestReport['deadLetters'] = [];
  private steps = 0;

  /** `nodeIds`: the journey's nodes, listed in the per-node counts even when never visited. */
  constructor(nodeIds: readonly string[], profileKeys: readonly string[]) {
    for (const id of nodeIds) this.nodes.set(id, new Map());
    for (const k of profileKeys) this.trails.set(k, []);
  }

  step(s: SimStep, cause: SimCause): void {
    if (s.journeyId === '') return; // an event no journey wanted: a discard, reported as one
    this.steps += 1;
    const trail = this.trails.get(s.profileKey) ?? [];
    this.trails.set(s.profileKey, trail);
    const { timestamp, nodeId, nodeType, status } = s;
    trail.push({
      timestamp,
      nodeId,
      nodeType,
      status,
      ...(s.reason ? { reason: s.reason } : {}),
      cause: causeOf(cause),
    });
    const counts = this.nodes.get(nodeId) ?? new Map<string, number>();
    this.nodes.set(nodeId, counts);
    counts.set(status, (counts.get(status) ?? 0) + 1);
    if (status === 'error') this.errors.push({ timestamp, profileKey: s.profileKey, nodeId, reason: s.reason ?? '' });
  }

  command(cmd: ActionCommand, call: SimulatedCall): void {
    this.commandsOf.set(cmd.profileKey, (this.commandsOf.get(cmd.profileKey) ?? 0) + 1);
    const r = call.result;
    this.commands.push({
      timestamp: cmd.createdAt,
      profileKey: cmd.profileKey,
      nodeId: cmd.nodeId,
      action: cmd.action,
      commandId: cmd.commandId,
      request: cmd.request,
      ...(cmd.connector ? { connector: cmd.connector } : {}),
      result: {
        status: r.status,
        ...(r.httpStatus !== undefined ? { httpStatus: r.httpStatus } : {}),
        attempts: r.attempts,
        arrivesAt: iso(Date.parse(cmd.createdAt) + call.latencyMs),
      },
    });
  }

  timerSet(t: JourneyTimer, at: number): void {
    const rt: ReportTimer = {
      setAt: iso(at),
      dueAt: iso(t.dueAt),
      kind: t.kind,
      profileKey: t.profileKey,
      nodeId: t.nodeId,
      outcome: 'pending',
    };
    this.timers.push(rt);
    this.timerByToken.set(t.token, rt);
  }

  timerDone(t: JourneyTimer, how: 'fired' | 'cancelled', at: number): void {
    const rt = this.timerByToken.get(t.token);
    if (!rt) return;
    rt.outcome = how;
    rt.doneAt = iso(at);
  }

  discard(reason: string, _journeyId: string, cause: SimCause, at: number): void {
    this.discards.push({ timestamp: iso(at), reason, cause: causeOf(cause) });
  }

  deadLetter(code: string, message: string, cause: SimCause, at: number): void {
    this.deadLetters.push({ timestamp: iso(at), code, message, cause: causeOf(cause) });
  }

  report(head: {
    journey: JourneyTestReport['journey'];
    start: number;
    end: number;
    events: number;
    inputs: number;
    calls: Record<string, number>;
  }): JourneyTestReport {
    const sorted = <V>(m: Map<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      journey: head.journey,
      start: iso(head.start),
      end: iso(head.end),
      profiles: Object.fromEntries(
        sorted(this.trails).map(([k, trail]) => [k, { trail, commands: this.commandsOf.get(k) ?? 0 }]),
      ),
      commands: this.commands,
      timers: this.timers,
      nodes: Object.fromEntries([...this.nodes].map(([id, c]) => [id, Object.fromEntries(sorted(c))])),
      discards: this.discards,
      errors: this.errors,
      deadLetters: this.deadLetters,
      calls: head.calls,
      stats: {
        events: head.events,
        inputs: head.inputs,
        steps: this.steps,
        commands: this.commands.length,
        timersSet: this.timers.length,
        timersFired: this.timers.filter((t) => t.outcome === 'fired').length,
      },
    };
  }
}
