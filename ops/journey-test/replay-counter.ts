/**
 * What a replay counts, fed by a simulation's observer: steps per node and status, commands per action, discards
 * per reason, and commands per simulated second per endpoint (for the peak). A replay run in shards (worker
 * threads, one simulation each) counts per shard and adds the counts up: every count is a sum, and the peak is
 * taken from the summed per-second counts, so the result does not depend on how profiles were split.
 *
 * The result lists keys in a fixed order (nodes as the journey defines them, everything else sorted), never in
 * the order a shard happened to see them first.
 */
import type { ActionCommand } from '../../schemas/index.js';
import type { SimStep, SimulationObserver } from '../../processors/index.js';

export type NodeCounts = Record<string, Record<string, number>>;

/** A counter's state as plain data (what a worker thread sends back): mergeable by {@link mergeCounts}. */
export interface ReplayCounts {
  readonly nodes: NodeCounts;
  readonly commands: Record<string, number>;
  readonly discards: Record<string, number>;
  /** Per endpoint: simulated second (epoch s) → commands created in it. */
  readonly perSecond: Record<string, Record<string, number>>;
}

export function bump(m: Record<string, number>, k: string, n = 1): void {
  m[k] = (m[k] ?? 0) + n;
}

export function countStep(nodes: NodeCounts, s: SimStep): void {
  if (s.journeyId === '') return;
  bump((nodes[s.nodeId] ??= {}), s.status);
}

/** The origin (scheme://host:port) of a rendered URL, or the URL as it is when it does not parse. */
function endpointOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** Counts of one simulation (see the file comment). */
export class ReplayCounter implements SimulationObserver {
  readonly counts: ReplayCounts = { nodes: {}, commands: {}, discards: {}, perSecond: {} };
  /** The last URL seen and its endpoint: commands of one action share a URL, parsed once. */
  private lastUrl = { url: '', endpoint: '' };
  /** The last `createdAt` seen and its epoch second: the commands of one input share it, parsed once. */
  private lastCreated = { at: '', second: '' };

  step(s: SimStep): void {
    countStep(this.counts.nodes, s);
  }

  command(c: ActionCommand): void {
    bump(this.counts.commands, c.action);
    if (c.request.url !== this.lastUrl.url) this.lastUrl = { url: c.request.url, endpoint: endpointOf(c.request.url) };
    if (c.createdAt !== this.lastCreated.at)
      this.lastCreated = { at: c.createdAt, second: String(Math.floor(Date.parse(c.createdAt) / 1000)) };
    bump((this.counts.perSecond[this.lastUrl.endpoint] ??= {}), this.lastCreated.second);
  }

  discard(reason: string): void {
    bump(this.counts.discards, reason);
  }
}

function addInto(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, n] of Object.entries(from)) bump(into, k, n);
}

/** The sum of shards' counts. */
export function mergeCounts(parts: readonly ReplayCounts[]): ReplayCounts {
  const out: ReplayCounts = { nodes: {}, commands: {}, discards: {}, perSecond: {} };
  for (const p of parts) {
    for (const [id, statuses] of Object.entries(p.nodes)) addInto((out.nodes[id] ??= {}), statuses);
    addInto(out.commands, p.commands);
    addInto(out.discards, p.discards);
    for (const [e, seconds] of Object.entries(p.perSecond)) addInto((out.perSecond[e] ??= {}), seconds);
  }
  return out;
}

const sorted = <T>(m: Readonly<Record<string, T>>): Record<string, T> =>
  Object.fromEntries(
    Object.keys(m)
      .sort()
      .map((k) => [k, m[k] as T]),
  );

/** Per endpoint: the most commands in one simulated second, and the earliest second with that many. */
export function peaksOf(perSecond: ReplayCounts['perSecond']) {
  const peaks: Record<string, { perSecond: number; at: string }> = {};
  for (const [endpoint, seconds] of Object.entries(sorted(perSecond))) {
    let best = { n: 0, second: Infinity };
    for (const [s, n] of Object.entries(seconds))
      if (n > best.n || (n === best.n && Number(s) < best.second)) best = { n, second: Number(s) };
    if (best.n > 0) peaks[endpoint] = { perSecond: best.n, at: new Date(best.second * 1000).toISOString() };
  }
  return peaks;
}

/** Counts in the result's order: nodes as `nodeOrder` lists them (then any other, sorted), statuses sorted. */
export function orderedCounts(c: ReplayCounts, nodeOrder: readonly string[]) {
  const ids = [
    ...nodeOrder.filter((id) => c.nodes[id]),
    ...Object.keys(c.nodes)
      .filter((id) => !nodeOrder.includes(id))
      .sort(),
  ];
  return {
    nodes: Object.fromEntries(ids.map((id) => [id, sorted(c.nodes[id] ?? {})])),
    commands: sorted(c.commands),
    peaks: peaksOf(c.perSecond),
    discards: sorted(c.discards),
  };
}
