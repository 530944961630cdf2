/**
 * The one measuring harness of the engine benchmark: the same code measures the engine and the Kafka Streams
 * peer. A system under test is a child process (its pid gives CPU and RSS from /proc) that turns events of an input
 * topic into commands on a command topic; the harness sees commands through a read_committed consumer, so a
 * command counts once it is committed.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { ReadCommittedFilter, type KafkaClient, type Producer } from '../topology/index.js';
import { cpuSeconds, rssSampler, settle } from './process-stats.js';

export const PARTITIONS = 6;

/** A running system under test. */
export interface SystemUnderTest {
  readonly name: string;
  readonly pid: number;
  readonly input: string;
  readonly commands: string;
  stop(): Promise<void>;
}

/**
 * Consumes committed records of `topics` from the beginning in a group of its own, calling `onMessage` for each;
 * `stop()` ends it. `caughtUp` resolves once every partition has been read up to the end it had when the watch
 * began (or after 30 s): a measuring phase waits for it, so the watcher's reading of the earlier phases' records
 * (100k+ records decoded in this process) is not done inside the phase.
 */
export async function watch(
  kafka: KafkaClient,
  topics: string[],
  onMessage: (value: Buffer, seenAt: number, topic: string) => void,
  opts: { readCommitted?: boolean } = {},
) {
  const behind = await partitionEnds(kafka, topics);
  let caught: () => void = () => undefined;
  const caughtUp = new Promise<boolean>((resolve) => {
    caught = () => resolve(true);
    if (behind.size === 0) resolve(true);
  });
  const consumer = kafka.consumer({
    groupId: `bench-watch-${randomUUID()}`,
    readUncommitted: opts.readCommitted === false,
    maxWaitTimeInMs: 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  // kafkajs alone lets some aborted transactions through (see ReadCommittedFilter)
  const committed = new ReadCommittedFilter();
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch }) => {
      const at = performance.now();
      const messages = opts.readCommitted === false ? batch.messages : committed.accept(batch);
      for (const m of messages) onMessage(m.value ?? Buffer.alloc(0), at, batch.topic);
      const key = `${batch.topic}/${batch.partition}`;
      if (atEnd(batch, behind.get(key))) {
        behind.delete(key);
        if (behind.size === 0) caught();
      }
    },
  });
  const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), 30_000).unref());
  return { stop: () => consumer.disconnect(), caughtUp: () => Promise.race([caughtUp, timeout]) };
}

/**
 * Whether `batch` reaches `end` (a partition's high watermark): the control record that ends a partition (a
 * transaction marker) is never delivered, so the offset just before it counts as the end.
 */
function atEnd(batch: { lastOffset(): string }, end: number | undefined): boolean {
  return end !== undefined && Number(batch.lastOffset()) + 2 >= end;
}

/** Each non-empty partition's end offset (`topic/partition` → high watermark). */
async function partitionEnds(kafka: KafkaClient, topics: readonly string[]): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<string, number>();
    for (const t of topics)
      for (const p of await admin.fetchTopicOffsets(t))
        if (Number(p.high) > Number(p.low)) ends.set(`${t}/${p.partition}`, Number(p.high));
    return ends;
  } finally {
    await admin.disconnect();
  }
}

export async function until(
  cond: () => boolean,
  timeoutMs: number,
  what: string,
  log: (m: string) => void,
  progress?: () => string,
  every?: () => void,
): Promise<void> {
  const t0 = performance.now();
  let lastLog = t0;
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    if (progress && performance.now() - lastLog > 5_000) {
      log(progress());
      lastLog = performance.now();
    }
    await new Promise((r) => setTimeout(r, 25));
    every?.();
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Sends `n` values in batches of 2,000 (acks=all). */
export async function produceAll(
  producer: Producer,
  topic: string,
  values: (i: number) => string,
  n: number,
  log: (m: string) => void,
): Promise<void> {
  const batch = 2_000;
  for (let i = 0; i < n; i += batch) {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: Math.min(batch, n - i) }, (_, j) => ({ value: values(i + j) })),
    });
    if ((i / batch) % 50 === 0 && i > 0) log(`produced ${i} of ${n} to ${topic}`);
  }
}

export interface ThroughputResult {
  /** Events/s from the first to the last committed command. */
  readonly eventsPerS: number;
  /** Process CPU (user + system) between the first and the last command, per event. */
  readonly cpuUsPerEvent: number;
  readonly peakRssMb: number;
}

/**
 * Starts the system on `n` pre-produced events and times it from its first to its `n`-th committed command.
 * `expected` commands per event may be below 1 when some events enter no journey.
 */
export async function measureThroughput<S extends SystemUnderTest>(
  kafka: KafkaClient,
  start: () => Promise<S>,
  commands: string,
  n: number,
  log: (m: string) => void,
): Promise<ThroughputResult & { system: S }> {
  let count = 0;
  let first = 0;
  let last = 0;
  const w = await watch(kafka, [commands], (_v, at) => {
    if (count === 0) first = at;
    count++;
    last = at;
  });
  const system = await start();
  const rss = rssSampler(system.pid);
  log(`${system.name}: started`);
  let cpuFirst = NaN;
  let cpuLast = NaN;
  await until(
    () => count >= n,
    900_000,
    `${n} commands of ${system.name}`,
    log,
    () => `${system.name}: ${count} of ${n} commands`,
    () => {
      if (count > 0 && Number.isNaN(cpuFirst)) cpuFirst = cpuSeconds(system.pid);
    },
  );
  cpuLast = cpuSeconds(system.pid);
  await w.stop();
  rss.stop();
  return {
    system,
    eventsPerS: (n - 1) / ((last - first) / 1000),
    cpuUsPerEvent: ((cpuLast - cpuFirst) * 1e6) / n,
    peakRssMb: rss.peakMb(),
  };
}

export interface LatencyResult {
  readonly offered: number;
  readonly sent: number;
  readonly seen: number;
  readonly p50: number;
  readonly p99: number;
  /** From the last event sent to the last command seen: how long the backlog took to drain. */
  readonly drainMs: number;
  readonly cpuUsPerEvent: number;
}

/** The `sentAt` (epoch ms) an event carried into its command's request body. */
function sentAtOf(value: Buffer): number | undefined {
  const body = (JSON.parse(value.toString()) as { request?: { body?: string } }).request?.body;
  const sentAt = body ? (JSON.parse(body) as { sentAt?: unknown }).sentAt : undefined;
  return typeof sentAt === 'number' ? sentAt : undefined;
}

/** BENCH_LATENCY_TRACE=<file>: every event's send time (ms since the phase began) and latency, appended per phase. */
const TRACE = process.env['BENCH_LATENCY_TRACE'] ?? '';

/**
 * Offers events at `rate`/s for `seconds` to the system's input topic (`event(i)` must carry `sentAt: Date.now()`
 * into the command) and measures event→committed command latency.
 */
export async function measureLatency(
  kafka: KafkaClient,
  producer: Producer,
  system: SystemUnderTest,
  rate: number,
  seconds: number,
  event: () => string,
  log: (m: string) => void,
): Promise<LatencyResult> {
  const lat: number[] = [];
  const trace: string[] = [];
  let lastSeen = 0;
  const mark = Date.now();
  const w = await watch(kafka, [system.commands], (v) => {
    const sentAt = sentAtOf(v);
    if (sentAt !== undefined && sentAt >= mark) {
      lat.push(Date.now() - sentAt);
      if (TRACE) trace.push(`${sentAt - mark} ${Date.now() - sentAt}`);
      lastSeen = performance.now();
    }
  });
  // the watcher reads the earlier phases' commands first, and the system finishes their work, before anything is sent
  const caught = await w.caughtUp();
  const settledMs = await settle(system.pid);
  const watcher = caught ? 'watcher caught up' : 'watcher NOT caught up after 30 s';
  log(`${system.name}: ${rate} events/s for ${seconds} s (${watcher}; quiet after ${settledMs} ms)`);
  const total = rate * seconds;
  const tickMs = 20;
  const perTick = Math.round((rate * tickMs) / 1000);
  const cpu0 = cpuSeconds(system.pid);
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + perTick);
    // a late tick catches up, in sends below the broker's request size limit
    while (due > sent) {
      const n = Math.min(500, due - sent);
      await producer.send({
        topic: system.input,
        acks: -1,
        messages: Array.from({ length: n }, () => ({ value: event() })),
      });
      sent += n;
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  const sentEnd = performance.now();
  const offered = sent / ((sentEnd - t0) / 1000);
  await until(
    () => lat.length >= sent,
    120_000,
    'latency commands',
    log,
    () => `${system.name}: ${lat.length} of ${sent}`,
  ).catch(() => undefined);
  const cpu1 = cpuSeconds(system.pid);
  await w.stop();
  if (TRACE) appendFileSync(TRACE, `# ${system.name} ${rate}/s: ms since start, latency ms\n${trace.join('\n')}\n`);
  lat.sort((a, b) => a - b);
  return {
    offered,
    sent,
    seen: lat.length,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    drainMs: Math.max(0, lastSeen - sentEnd),
    cpuUsPerEvent: ((cpu1 - cpu0) * 1e6) / sent,
  };
}

/**
 * Records written per event: every committed record in `topics` (outputs, repartition and changelog topics),
 * counted by consuming them to their ends, by topic.
 */
export async function countRecords(kafka: KafkaClient, topics: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>(topics.map((t) => [t, 0]));
  if (topics.length === 0) return counts;
  // A partition is done when the consumer has passed its last stable offset; empty ones are not waited for.
  const ends = await partitionEnds(kafka, topics);
  const done = new Set<string>();
  const consumer = kafka.consumer({ groupId: `bench-count-${randomUUID()}`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let lastActivity = performance.now();
  let seen = false;
  const committed = new ReadCommittedFilter();
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch }) => {
      counts.set(batch.topic, (counts.get(batch.topic) ?? 0) + committed.accept(batch).length);
      lastActivity = performance.now();
      seen = true;
      if (atEnd(batch, ends.get(`${batch.topic}/${batch.partition}`))) done.add(`${batch.topic}/${batch.partition}`);
    },
  });
  // joining the group can take longer than 5 s on a loaded machine: quiet for 5 s counts as done once data came
  while (done.size < ends.size && performance.now() - lastActivity < (seen ? 5_000 : 60_000))
    await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  return counts;
}

/** Topics whose names start with one of `prefixes`, less `exclude`. */
export async function topicsWithPrefix(kafka: KafkaClient, prefixes: string[], exclude: string[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const all = await admin.listTopics();
  await admin.disconnect();
  return all.filter((t) => prefixes.some((p) => t.startsWith(p)) && !exclude.includes(t)).sort();
}

/** Deletes the topics whose names start with one of `prefixes`; returns how many. */
export async function deleteTopicsWithPrefix(kafka: KafkaClient, prefixes: string[]): Promise<number> {
  if (prefixes.length === 0) return 0;
  const topics = await topicsWithPrefix(kafka, prefixes, []);
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let i = 0; i < topics.length; i += 100)
      await admin.deleteTopics({ topics: topics.slice(i, i + 100), timeout: 60_000 });
  } finally {
    await admin.disconnect();
  }
  return topics.length;
}
