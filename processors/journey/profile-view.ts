/**
 * `describeProfile`: where one profile stands in every journey, as `GET /v1/profiles/:key` answers it — built
 * from the profile's state in the journey-instances store (the engine's own state, read by the task's owner), with
 * the journey definitions for node types and the events an event node waits for. Pure: no store, no clock.
 */
import type { JourneyCatalog, ProfileState } from './journey-engine.js';
import type { InstanceState, ProfileJourney } from './journey-model.js';

/** What a running instance is waiting for at its current node. */
export type WaitingFor =
  | { readonly kind: 'timer'; readonly dueAt: string }
  | { readonly kind: 'event'; readonly events: readonly string[]; readonly timeoutAt?: string }
  | { readonly kind: 'actionResult'; readonly commandId: string; readonly timeoutAt: string }
  | { readonly kind: 'resume' };

/** One journey of the profile: its running instance, if any, and its entry history. */
export interface ProfileJourneyView {
  readonly journeyId: string;
  /** `running`: an instance is in the journey now; `ended`: it was, and left. */
  readonly status: 'running' | 'ended';
  readonly entries: number;
  readonly lastEnteredAt?: string;
  readonly lastEndedAt?: string;
  readonly lastInstanceId?: string;
  readonly instance?: InstanceView;
}

export interface InstanceView {
  readonly instanceId: string;
  readonly version: number;
  readonly enteredAt: string;
  readonly currentNode: string;
  /** Node type of `currentNode` in the instance's version (`unknown` when that version is gone). */
  readonly nodeType: string;
  readonly waitingFor?: WaitingFor;
  /** Latest event of each event configuration the instance has seen. */
  readonly eventsSeen: ReadonlyArray<{ eventConfigId: string; id: string; timestamp: string }>;
  /** Last result of each action node's command. */
  readonly actions: InstanceState['actions'];
  readonly lastError?: string;
  readonly goalAt?: string;
  /** Journey timeout: the instance ends then wherever it is. */
  readonly timeoutAt: string;
  /** Events queued while an action result is awaited. */
  readonly pendingEvents: number;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function waitingFor(inst: InstanceState, catalog: JourneyCatalog): WaitingFor | undefined {
  const b = inst.blocked;
  if (!b) return undefined;
  switch (b.kind) {
    case 'wait':
      return { kind: 'timer', dueAt: new Date(b.dueAt).toISOString() };
    case 'event': {
      const node = catalog.version(inst.journeyId, inst.version)?.config.nodes[b.nodeId];
      const events = node?.type === 'event' ? node.events.map((e) => e.event) : [];
      return {
        kind: 'event',
        events,
        ...(b.dueAt === undefined ? {} : { timeoutAt: new Date(b.dueAt).toISOString() }),
      };
    }
    case 'action':
      return { kind: 'actionResult', commandId: b.commandId, timeoutAt: new Date(b.dueAt).toISOString() };
    case 'paused':
      return { kind: 'resume' };
  }
}

function instanceView(inst: InstanceState, catalog: JourneyCatalog): InstanceView {
  const def = catalog.version(inst.journeyId, inst.version);
  const w = waitingFor(inst, catalog);
  return {
    instanceId: inst.instanceId,
    version: inst.version,
    enteredAt: new Date(inst.enteredAt).toISOString(),
    currentNode: inst.currentNode,
    nodeType: def?.config.nodes[inst.currentNode]?.type ?? 'unknown',
    ...(w ? { waitingFor: w } : {}),
    eventsSeen: Object.entries(inst.events).map(([eventConfigId, e]) => ({
      eventConfigId,
      id: e.id,
      timestamp: e.timestamp,
    })),
    actions: inst.actions,
    ...(inst.lastError === undefined ? {} : { lastError: inst.lastError }),
    ...(inst.goalAt === undefined ? {} : { goalAt: new Date(inst.goalAt).toISOString() }),
    timeoutAt: new Date(inst.timeout.dueAt).toISOString(),
    pendingEvents: inst.pending.length,
  };
}

function journeyView(pj: ProfileJourney, catalog: JourneyCatalog): ProfileJourneyView {
  const entered = iso(pj.lastEnteredAt);
  const ended = iso(pj.lastEndedAt);
  return {
    journeyId: pj.journeyId,
    status: pj.instance ? 'running' : 'ended',
    entries: pj.entries,
    ...(entered ? { lastEnteredAt: entered } : {}),
    ...(ended ? { lastEndedAt: ended } : {}),
    ...(pj.lastInstanceId ? { lastInstanceId: pj.lastInstanceId } : {}),
    ...(pj.instance ? { instance: instanceView(pj.instance, catalog) } : {}),
  };
}

/** Every journey the profile has been in (running ones first, then by journey id). */
export function describeProfile(state: ProfileState | undefined, catalog: JourneyCatalog): ProfileJourneyView[] {
  return Object.values(state?.journeys ?? {})
    .map((pj) => journeyView(pj, catalog))
    .sort((a, b) => (a.status === b.status ? a.journeyId.localeCompare(b.journeyId) : a.status === 'running' ? -1 : 1));
}
