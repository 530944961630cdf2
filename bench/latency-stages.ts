/**
 * Where an event's latency goes, seen from outside the system: for each topic of its path (the repartition topic
 * between the two hops, the command topic) the time from the event's `sentAt` until its record is written (read
 * uncommitted) and until it is committed (read committed). Differences between the stages' percentiles say which
 * hop, and which part of it (processing up to the send, or the transaction commit), takes the time.
 */
import type { KafkaClient } from '../topology/index.js';
import { percentile, watch } from './harness.js';

export interface Stage {
  readonly name: string;
  readonly topic: string;
  readonly readCommitted: boolean;
}

const SENT_AT = /\\?"sentAt\\?":\s*(\d{13})/;

/** Watches `stages` from now on; `stop()` returns each stage's p50/p99 (ms after the event's `sentAt`). */
export async function watchStages(kafka: KafkaClient, stages: readonly Stage[]) {
  const mark = Date.now();
  const lat = new Map<string, number[]>(stages.map((s) => [s.name, []]));
  const watchers = await Promise.all(
    stages.map((s) =>
      watch(
        kafka,
        [s.topic],
        (v) => {
          const now = Date.now();
          const m = SENT_AT.exec(v.toString('utf8'));
          const sentAt = m?.[1] ? Number(m[1]) : NaN;
          if (sentAt >= mark) lat.get(s.name)?.push(now - sentAt);
        },
        { readCommitted: s.readCommitted },
      ),
    ),
  );
  // they read the earlier phases' records first (outside the phase that follows)
  await Promise.all(watchers.map((w) => w.caughtUp()));
  return {
    async stop(): Promise<string> {
      await Promise.all(watchers.map((w) => w.stop()));
      return stages
        .map((s) => {
          const l = (lat.get(s.name) ?? []).sort((a, b) => a - b);
          return `${s.name} p50 ${percentile(l, 50)} p90 ${percentile(l, 90)} p99 ${percentile(l, 99)} (${l.length})`;
        })
        .join('; ');
    },
  };
}

/** The engine's path: the repartition topic after normalizing, then the command topic. */
export function engineStages(prefix: string, applicationId: string): Stage[] {
  const repartition = `${applicationId}-events-by-profile-repartition`;
  return [
    { name: 'repartition written', topic: repartition, readCommitted: false },
    { name: 'repartition committed', topic: repartition, readCommitted: true },
    { name: 'command written', topic: `${prefix}commands.http`, readCommitted: false },
    { name: 'command committed', topic: `${prefix}commands.http`, readCommitted: true },
  ];
}
