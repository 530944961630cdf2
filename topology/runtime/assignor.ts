/**
 * The group's partition assigner. It assigns tasks, not partitions: task `<sub>_<p>` is partition p of every
 * topic its sub-topology reads, so co-partitioned topics' partition p always lands on the same member. Tasks
 * stay with their previous owner while that keeps the load balanced (members report what they own in the
 * subscription's userData), which avoids needless restores; the rest go to the least-loaded member.
 */
import { AssignerProtocol, type GroupMemberAssignment, type PartitionAssigner } from '../kafka/kafka-client.js';
import { taskIdOf } from './task.js';

export const ASSIGNOR_NAME = 'jo-task-assignor';

export interface TaskAssignorOptions {
  /** Sub-topology id reading `topic`, undefined for a topic of no task. */
  readonly subOf: (topic: string) => number | undefined;
  /** Task ids this member owns now (sent in the subscription). */
  readonly owned: () => readonly string[];
}

/** Pure assignment: tasks → member ids. Exported for unit tests. */
export function assignTasks(
  tasks: readonly string[],
  members: ReadonlyArray<{ readonly memberId: string; readonly owned: readonly string[] }>,
): Map<string, string[]> {
  const sorted = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
  const out = new Map<string, string[]>(sorted.map((m) => [m.memberId, []]));
  if (sorted.length === 0) return out;
  const cap = Math.ceil(tasks.length / sorted.length);
  const taken = new Set<string>();
  const all = new Set(tasks);
  for (const m of sorted)
    for (const t of m.owned) {
      const mine = out.get(m.memberId);
      if (mine && all.has(t) && !taken.has(t) && mine.length < cap) {
        mine.push(t);
        taken.add(t);
      }
    }
  for (const t of tasks) {
    if (taken.has(t)) continue;
    let best = sorted[0]?.memberId ?? '';
    for (const m of sorted) if ((out.get(m.memberId)?.length ?? 0) < (out.get(best)?.length ?? 0)) best = m.memberId;
    out.get(best)?.push(t);
    taken.add(t);
  }
  return out;
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
  return ({ cluster }) => ({
    name: ASSIGNOR_NAME,
    version: 1,
    protocol: ({ topics }) => ({
      name: ASSIGNOR_NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics,
        userData: Buffer.from(JSON.stringify({ owned: opts.owned() })),
      }),
    }),
    assign: async ({ members, topics }) => {
      const parts = new Map<string, Array<[string, number]>>();
      for (const topic of topics) {
        const sub = opts.subOf(topic);
        if (sub === undefined) continue;
        for (const p of cluster.findTopicPartitionMetadata(topic)) {
          const id = taskIdOf(sub, p.partitionId);
          parts.set(id, [...(parts.get(id) ?? []), [topic, p.partitionId]]);
        }
      }
      const byMember = assignTasks(
        [...parts.keys()],
        members.map((m) => ({
          memberId: m.memberId,
          owned: decodeOwned(AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData),
        })),
      );
      return [...byMember].map(([memberId, tasks]): GroupMemberAssignment => {
        const assignment: Record<string, number[]> = {};
        for (const t of tasks) for (const [topic, p] of parts.get(t) ?? []) (assignment[topic] ??= []).push(p);
        return {
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 1,
            assignment,
            userData: Buffer.alloc(0),
          }),
        };
      });
    },
  });
}
