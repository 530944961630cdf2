/**
 * Per-hop trace inside the engine under benchmark (`BENCH_TRACE=1`; loaded into the engine child with `--import`).
 * It subscribes to the Kafka adapter's diagnostics channels (topology/kafka/kafka-diagnostics.ts) — nothing is
 * patched — and to the event-loop delay. SIGUSR2 from the bench toggles a window: the first starts it, the second
 * writes the window's summary to BENCH_TRACE_FILE (one line) and starts the next.
 *
 * Per consumer group: fetch duration, and the time between one fetch's end and the next one's start (the handling
 * of the fetched batches: what pipelining fetches could save). Per topic: from a fetch's end to its batch being
 * handed to `eachBatch`, and from each record's `sentAt` (the bench's events and everything derived from them carry
 * it) to that hand-over — for the repartition topic that is the whole first hop plus the second hop's fetch.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
// types only: the preload must not load the engine's modules ahead of it
import type { BatchDiagnostic, FetchDiagnostic } from '../topology/index.js';

const OUT = process.env['BENCH_TRACE_FILE'] ?? '';
const SENT_AT = /\\?"sentAt\\?":\s*(\d{13})/;
let samples = new Map<string, number[]>();
const add = (key: string, v: number) => {
  let a = samples.get(key);
  if (!a) samples.set(key, (a = []));
  a.push(v);
};
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();

/** The topic's name without the bench's run prefix (`b1234.events` → `events`). */
const short = (topic: string) => topic.slice(topic.indexOf('.') + 1);
const group = (g: string) =>
  g.endsWith('engine') ? 'app' : g.replace(/^.*?\.engine-?/, '').replace(/-[0-9a-f-]{36}$/, '');

subscribe('topology.kafka.fetch' /* KAFKA_FETCH_CHANNEL */, (m) => {
  const f = m as FetchDiagnostic;
  add(`fetch ms [${group(f.groupId)}]`, f.durationMs);
  if (f.sincePreviousMs !== undefined) add(`between fetches ms [${group(f.groupId)}]`, f.sincePreviousMs);
});
subscribe('topology.kafka.batch' /* KAFKA_BATCH_CHANNEL */, (m) => {
  const b = m as BatchDiagnostic;
  if (b.batch.messages.length === 0) return;
  const topic = short(b.batch.topic);
  if (b.fetchedAt !== undefined && b.handedAt !== undefined)
    add(`fetched→handed ms [${topic}]`, b.handedAt - b.fetchedAt);
  const handed = b.handedAt ?? Date.now();
  for (const msg of b.batch.messages) {
    const sentAt = msg.value ? SENT_AT.exec(msg.value.toString('latin1'))?.[1] : undefined;
    if (sentAt) add(`sentAt→handed ms [${topic}]`, handed - Number(sentAt));
  }
});

function summary(): string {
  const pct = (a: number[], p: number) => a[Math.min(a.length - 1, Math.floor((p / 100) * a.length))] ?? NaN;
  const parts = [...samples]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, a]) => {
      a.sort((x, y) => x - y);
      return `${k} p50 ${pct(a, 50)} p99 ${pct(a, 99)} max ${a[a.length - 1]} (${a.length})`;
    });
  const ms = (ns: number) => (ns / 1e6).toFixed(0);
  parts.push(`event-loop delay ms p50 ${ms(loop.percentile(50))} p99 ${ms(loop.percentile(99))} max ${ms(loop.max)}`);
  return parts.join('; ');
}

let open = false;
process.on('SIGUSR2', () => {
  if (open && OUT) writeFileSync(OUT, summary() + '\n');
  open = true;
  samples = new Map();
  loop.reset();
});
