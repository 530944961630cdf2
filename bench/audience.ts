/**
 * `npm run bench -- audience`: audience entry throughput (issue 18). BENCH_AUDIENCE_PROFILES (default 1,000,000)
 * profiles are loaded into the engine's profile stores through `<prefix>profiles` (half of them `gold`); then an
 * audience journey (`tier == gold`, schedule `once`: one command each) is published, and the benchmark times
 * the run from the publish to the last of its commands. Meanwhile events are offered at BENCH_AUDIENCE_EVENT_RATE/s
 * (default 200) to a one-action event journey, and their event→command latency is measured while the scan runs:
 * the scan must not starve live events. Target: >= 20,000 profiles/s entered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka } from '../topology/index.js';
import { setupEngineTopics, startEngine } from './engine-child.js';
import { oneJourneyConfig, xdmEvent } from './engine-config.js';
import { percentile, until, watch } from './harness.js';
import { cpuSeconds, rssSampler } from './process-stats.js';
import type { BenchContext, BenchRow } from './types.js';

const N = Number(process.env['BENCH_AUDIENCE_PROFILES'] ?? 1_000_000);
const EVENT_RATE = Number(process.env['BENCH_AUDIENCE_EVENT_RATE'] ?? 200);

const audienceJourney = {
  id: 'aud',
  name: 'bench audience',
  namespace: 'crmId',
  entry: { audience: { '==': [{ var: 'profile.tier' }, 'gold'] }, schedule: 'once' },
  start: 'send',
  nodes: {
    send: { type: 'action', action: 'hook', params: { sentAt: 0, journey: 'aud' }, next: 'done' },
    done: { type: 'end' },
  },
};

function profile(i: number): string {
  return JSON.stringify({ tier: i % 2 === 0 ? 'gold' : 'silver', email: `p${i}@example.com`, firstName: 'Bench' });
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const kafka = createKafka({ brokers: ctx.brokers, clientId: 'bench-audience', logLevel: 'nothing' });
  const prefix = `bench-aud-${Date.now()}.`;
  await setupEngineTopics(kafka, prefix, oneJourneyConfig('http://127.0.0.1:9'));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  ctx.log(`producing ${N} profiles to ${prefix}profiles`);
  for (let i = 0; i < N; i += 5_000) {
    const messages = Array.from({ length: Math.min(5_000, N - i) }, (_, j) => ({
      key: `crmId:p${i + j}`,
      value: profile(i + j),
    }));
    await producer.send({ topic: `${prefix}profiles`, acks: -1, messages });
    if (i > 0 && i % 100_000 === 0) ctx.log(`produced ${i} of ${N} profiles`);
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-aud-'));
  const engine = await startEngine({ name: 'engine', brokers: ctx.brokers, prefix, stateDir, commitMs: 100 });
  const admin = kafka.admin();
  await admin.connect();
  const loaded = async () => {
    const [t] = await admin.fetchOffsets({ groupId: `${prefix}engine`, topics: [`${prefix}profiles`] });
    return (t?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  };
  let have = 0;
  await until(
    () => have >= N,
    1_800_000,
    'profiles loaded into the engine',
    ctx.log,
    () => `engine loaded ${have} of ${N} profiles`,
    () => void loaded().then((n) => (have = n)),
  );
  ctx.log('profiles loaded; publishing the audience journey');

  const golds = Math.ceil(N / 2);
  let audience = 0;
  let firstAt = 0;
  let lastAt = 0;
  // events offered from the publish on: [sentAt, latency]; those offered before the last audience command count
  const during: Array<[number, number]> = [];
  let t0Wall = Infinity;
  const w = await watch(kafka, [engine.commands], (v, at) => {
    const body = (JSON.parse(v.toString()) as { request?: { body?: string } }).request?.body ?? '{}';
    const b = JSON.parse(body) as { journey?: string; sentAt?: number };
    if (b.journey === 'aud') {
      if (audience === 0) firstAt = at;
      audience++;
      lastAt = at;
    } else if (typeof b.sentAt === 'number' && b.sentAt >= t0Wall) during.push([b.sentAt, Date.now() - b.sentAt]);
  });
  // baseline: the same event rate for 15 s before the audience run
  const base: number[] = [];
  const bw = await watch(kafka, [engine.commands], (v) => {
    const body = (JSON.parse(v.toString()) as { request?: { body?: string } }).request?.body ?? '{}';
    const b = JSON.parse(body) as { sentAt?: number };
    if (typeof b.sentAt === 'number' && b.sentAt > 0) base.push(Date.now() - b.sentAt);
  });
  let warm = 0;
  const warmOffer = setInterval(() => {
    const messages = Array.from({ length: Math.max(1, Math.round(EVENT_RATE / 10)) }, () => ({
      value: xdmEvent('a', (warm++ * 7_919) % N, 0),
    }));
    void producer.send({ topic: engine.input, messages }).catch(() => undefined);
  }, 100);
  await new Promise((r) => setTimeout(r, 15_000));
  clearInterval(warmOffer);
  await new Promise((r) => setTimeout(r, 3_000));
  await bw.stop();
  const baseline = base.slice(base.length / 3).sort((a, b) => a - b); // without the first seconds' warm-up
  ctx.log(`baseline event→command p50 ${percentile(baseline, 50)} ms p99 ${percentile(baseline, 99)} ms`);
  const rss = rssSampler(engine.pid);
  const cpu0 = cpuSeconds(engine.pid);
  const t0 = performance.now();
  t0Wall = Date.now();
  const record = {
    id: 'aud',
    versions: [{ version: 1, state: 'live', createdAt: new Date().toISOString(), journey: audienceJourney }],
  };
  await producer.send({ topic: `${prefix}config`, messages: [{ key: 'journey/aud', value: JSON.stringify(record) }] });
  let scanStartedAt = 0;
  // until the scan starts only: rendering /metrics every 100 ms cost the engine ~7% of its CPU during the scan
  const poll = setInterval(() => {
    void engine
      .metrics()
      .then((text) => {
        if (scanStartedAt === 0 && /^jo_audience_profiles_scanned_total\{[^}]*\} [1-9]/m.test(text)) {
          scanStartedAt = performance.now();
          clearInterval(poll);
        }
      })
      .catch(() => undefined);
  }, 100);
  // the event journey does not allow re-entrance: the profiles of the warm-up would make no command again
  let sent = warm;
  const offered: number[] = []; // sentAt of each batch of events offered during the run
  const batch = Math.max(1, Math.round(EVENT_RATE / 10));
  const offer = setInterval(() => {
    const messages = Array.from({ length: batch }, () => ({ value: xdmEvent('a', (sent++ * 7_919) % N, 0) }));
    offered.push(Date.now());
    void producer.send({ topic: engine.input, messages }).catch(() => undefined);
  }, 100);
  await until(
    () => audience >= golds,
    3_600_000,
    `${golds} audience commands`,
    ctx.log,
    () => `audience: ${audience} of ${golds} entered (${(audience / ((performance.now() - t0) / 1000)).toFixed(0)}/s)`,
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(engine.pid) - cpu0;
  const endWall = Date.now();
  clearInterval(offer);
  clearInterval(poll);
  // The events offered while the scan ran are measured whenever their commands arrive: a scan that starves them
  // shows as late commands, not as missing samples.
  const expected = offered.filter((at) => at <= endWall).length * batch;
  const inRun = () => during.filter(([at]) => at <= endWall);
  await until(
    () => inRun().length >= expected,
    60_000,
    `the commands of the ${expected} events offered during the scan`,
    ctx.log,
    () => `${inRun().length} of ${expected} commands of events offered during the scan`,
  ).catch((err: unknown) => ctx.log(String(err)));
  const lat = inRun().map(([, ms]) => ms);
  await w.stop();
  rss.stop();
  await engine.stop();
  await producer.disconnect();
  await admin.disconnect();
  rmSync(stateDir, { recursive: true, force: true });
  lat.sort((a, b) => a - b);
  const note = `${N} profiles scanned, ${golds} entered, 6 partitions`;
  return [
    {
      metric: 'audience entered per second (publish → last command)',
      value: golds / seconds,
      unit: 'profiles/s',
      target: '>= 20000',
      note,
    },
    { metric: 'audience profiles scanned per second', value: N / seconds, unit: 'profiles/s', note },
    { metric: 'scan started after publish (config → engine)', value: (scanStartedAt - t0) / 1000, unit: 's' },
    { metric: 'first audience command after publish', value: (firstAt - t0) / 1000, unit: 's' },
    { metric: 'audience run duration', value: (lastAt - t0) / 1000, unit: 's' },
    { metric: 'engine CPU per entered profile', value: (cpu * 1e6) / golds, unit: 'µs' },
    { metric: 'engine peak RSS during the run', value: rss.peakMb(), unit: 'MB' },
    {
      metric: `event→command p50 during the scan (${EVENT_RATE}/s offered)`,
      value: percentile(lat, 50),
      unit: 'ms',
      note: `${lat.length} of ${expected} events offered during the scan`,
    },
    { metric: `event→command p99 during the scan (${EVENT_RATE}/s offered)`, value: percentile(lat, 99), unit: 'ms' },
  ];
}
