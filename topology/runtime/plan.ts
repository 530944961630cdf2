/**
 * Task planning: how many partitions each sub-topology has (so how many tasks), and how many partitions each
 * repartition topic gets. All source topics of one sub-topology are co-partitioned: partition N of each goes to
 * task N, so they must have equal partition counts; a mismatch is a start-up error, not a silent mis-join.
 */
import { TerminalError } from '../api/errors.js';
import { topologyCodes } from '../codes.js';
import { internalTopics, type Topology } from '../api/builder.js';

export interface TaskPlan {
  /** Partition count (= task count) per sub-topology id. */
  readonly partitions: ReadonlyMap<number, number>;
  /** Partition count per repartition topic name (full internal name). */
  readonly repartitionTopics: ReadonlyMap<string, number>;
}

/** Thrown at start-up when co-partitioned topics have different partition counts. */
export class CoPartitionError extends TerminalError {
  constructor(message: string) {
    super('TOPOLOGY_COPARTITION_MISMATCH', message);
  }
}

/**
 * Resolves partition counts. `partitionsOf` returns the partition count of an existing external topic
 * (undefined when the topic does not exist, which is an error too).
 */
export function planTasks(
  topology: Topology,
  applicationId: string,
  partitionsOf: (topic: string) => number | undefined,
): TaskPlan {
  const reps = new Map<string, number>();
  const subs = new Map<number, number>();
  const external = (subId: number): Array<[string, number]> =>
    (topology.subTopologies[subId]?.sources ?? [])
      .filter((s) => !s.repartition)
      .flatMap((s) => s.topics.map((t): [string, number] => [t, partitionsOf(t) ?? -1]));
  for (const sub of topology.subTopologies)
    for (const [t, n] of external(sub.id))
      if (n < 0) throw topologyCodes.error('TOPOLOGY_TOPIC_MISSING', `source topic "${t}" does not exist`);
  // Repartition topics feeding a sub-topology with external topics take their count; others take the writer's max.
  for (let pass = 0; pass <= topology.repartitions.length; pass++) {
    for (const r of topology.repartitions) {
      const name = internalTopics.repartition(applicationId, r.name);
      if (reps.has(name)) continue;
      const downstream = external(r.to);
      if (r.partitions !== undefined) reps.set(name, r.partitions);
      else if (downstream.length > 0) reps.set(name, Math.max(...downstream.map(([, n]) => n)));
      else {
        const up = countsOf(topology, applicationId, r.from, partitionsOf, reps);
        if (up.every(([, n]) => n > 0) && up.length > 0) reps.set(name, Math.max(...up.map(([, n]) => n)));
      }
    }
  }
  for (const sub of topology.subTopologies) {
    const counts = countsOf(topology, applicationId, sub.id, partitionsOf, reps);
    const distinct = new Set(counts.map(([, n]) => n));
    if (distinct.size > 1)
      throw new CoPartitionError(
        `sub-topology ${sub.id} reads co-partitioned topics with different partition counts: ` +
          counts.map(([t, n]) => `${t}=${n}`).join(', '),
      );
    const n = counts[0]?.[1] ?? 0;
    if (n <= 0) throw topologyCodes.error('TOPOLOGY_TOPIC_MISSING', `cannot size sub-topology ${sub.id}`);
    subs.set(sub.id, n);
  }
  return { partitions: subs, repartitionTopics: reps };
}

function countsOf(
  topology: Topology,
  applicationId: string,
  subId: number,
  partitionsOf: (topic: string) => number | undefined,
  reps: ReadonlyMap<string, number>,
): Array<[string, number]> {
  const sub = topology.subTopologies[subId];
  if (!sub) return [];
  return sub.sources.flatMap((s) =>
    topology
      .topicsOf(s, applicationId)
      .map((t): [string, number] => [t, (s.repartition ? reps.get(t) : partitionsOf(t)) ?? -1]),
  );
}
