/**
 * The group's partition assigner. It assigns tasks, not partitions: task `<sub>_<p>` is partition p of every
 * topic its sub-topology reads, so co-partitioned topics' partition p always lands on the same member. Tasks
 * stay with their previous owner while that keeps the load balanced (members report what they own in the
 * subscription's userData), which avoids needless restores; the rest go to the least-loaded member.
 */
import type { GroupAssigner as PartitionAssigner } from '../kafka/port-client.js';
import { taskIdOf } from './task.js';

export const ASSIGNOR_NAME = 'jo-task-assignor';

export interface TaskAssignorOptions {
  /** Sub-topology id reading `topic`, undefined for a topic of no task. */
  readonly subOf: (topic: string) => number | undefined;
  /** Task ids this member owns now (sent in the subscription). */
  readonly owned: () => readonly string[];
}

/**
 * Pure assignment: tasks → member ids, balanced per sub-topology (as Kafka Streams' assignor does): each
 * sub-topology's tasks are spread over the members (at most ceil(tasks/members) each), so two processes both
 * normalize and both run journeys instead of one doing each. Within that bound a task stays with its previous
 * owner (no restore); the others go to the member with the fewest tasks of that sub-topology, then in all.
 * A task is a partition of every topic its sub-topology reads, so co-partitioned partitions stay together.
 */
export function assignTasks(
  tasks: readonly string[],
  members: ReadonlyArray<{ readonly memberId: string; readonly owned: readonly string[] }>,
): Map<string, string[]> {
  const sorted = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
  const out = new Map<string, string[]>(sorted.map((m) => [m.memberId, []]));
  if (sorted.length === 0) return out;
  const bySub = new Map<string, string[]>();
  for (const t of tasks) {
    const sub = t.slice(0, t.indexOf('_'));
    const list = bySub.get(sub);
    if (list) list.push(t);
    else bySub.set(sub, [t]);
  }
  for (const group of bySub.values()) assignGroup(group, sorted, out);
  return out;
}

/** One sub-topology's tasks: sticky up to the per-member cap, the rest to the least-loaded member. */
function assignGroup(
  group: readonly string[],
  members: ReadonlyArray<{ readonly memberId: string; readonly owned: readonly string[] }>,
  out: Map<string, string[]>,
): void {
  const cap = Math.ceil(group.length / members.length);
  const inGroup = new Map<string, number>(members.map((m) => [m.memberId, 0]));
  const all = new Set(group);
  const taken = new Set<string>();
  const give = (memberId: string, t: string) => {
    out.get(memberId)?.push(t);
    inGroup.set(memberId, (inGroup.get(memberId) ?? 0) + 1);
    taken.add(t);
  };
  for (const m of members)
    for (const t of m.owned)
      if (all.has(t) && !taken.has(t) && (inGroup.get(m.memberId) ?? 0) < cap) give(m.memberId, t);
  const load = (id: string): [number, number] => [inGroup.get(id) ?? 0, out.get(id)?.length ?? 0];
  for (const t of group) {
    if (taken.has(t)) continue;
    let best = members[0]?.memberId ?? '';
    for (const m of members) {
      const [g, n] = load(m.memberId);
      const [bg, bn] = load(best);
      if (g < bg || (g === bg && n < bn)) best = m.memberId;
    }
    give(best, t);
  }
}

function decodeOwned(userData: Buffer | undefined): string[] {
  if (!userData || userData.length === 0) return [];
  try {
    const v = JSON.parse(userData.toString('utf8')) as { owned?: unknown };
    return Array.isArray(v.owned) ? v.owned.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function taskAssignor(opts: TaskAssignorOptions): PartitionAssigner {
  return {
    name: ASSIGNOR_NAME,
    version: 1,
    userData: () => Buffer.from(JSON.stringify({ owned: opts.owned() })),
    assign: (members, partitions) => {
      const parts = new Map<string, Array<[string, number]>>();
      for (const [topic, ids] of partitions) {
        const sub = opts.subOf(topic);
        if (sub === undefined) continue;
        for (const p of ids) {
          const id = taskIdOf(sub, p);
          parts.set(id, [...(parts.get(id) ?? []), [topic, p]]);
        }
      }
      const byMember = assignTasks(
        [...parts.keys()],
        members.map((m) => ({ memberId: m.memberId, owned: decodeOwned(m.userData) })),
      );
      const out = new Map<string, Record<string, number[]>>();
      for (const [memberId, tasks] of byMember) {
        const assignment: Record<string, number[]> = {};
        for (const t of tasks) for (const [topic, p] of parts.get(t) ?? []) (assignment[topic] ??= []).push(p);
        out.set(memberId, assignment);
      }
      return Promise.resolve(out);
    },
  };
}
