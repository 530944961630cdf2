// A schema registry that hangs (accepts connections, never answers) or drops connections, under StreamsApp on
// the real broker: the Avro event waits — its partition paused, `jo_schema_registry_errors_total` rising, nothing
// dead-lettered — and goes through once the registry answers again; a stop while a registry call hangs is not
// held by that call, and the event it was waiting on is handed to the next run (its offset was not committed).
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { testRegistryUrl, uniqueName, produce, readJson, brokerSuite, waitFor } from '../topology/testing/index.js';
import { createJourneyTopics } from './testing/index.js';
import { createAvroRegistry, type ActionCommand } from '../schemas/index.js';
import { InMemoryMetrics, restoreChangelogs, StreamsApp } from '../topology/index.js';
import { journey, liveJourneyRecord, signupEvent, webhookAction } from './testing/journeys.js';
import { buildJourneyTopology } from './journey-topology.js';
import { journeyRuntimeNames } from './runtime-names.js';

type Mode = 'hang' | 'drop' | 'forward';

/** A TCP stand-in for the registry: `hang` accepts and never answers, `drop` resets, `forward` proxies. */
class RegistryProxy {
  mode: Mode = 'hang';
  accepted = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(private readonly target: URL) {
    this.server = createServer((s) => this.onConnection(s));
  }

  private onConnection(s: Socket): void {
    this.accepted++;
    this.sockets.add(s);
    s.on('error', () => undefined).on('close', () => this.sockets.delete(s));
    if (this.mode === 'drop') return void s.resetAndDestroy();
    if (this.mode === 'hang') return; // read nothing, answer nothing, keep it open
    const up = connect(Number(this.target.port), this.target.hostname);
    up.on('error', () => s.destroy());
    s.pipe(up).pipe(s);
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const addr = this.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    return `http://127.0.0.1:${port}${this.target.pathname}`;
  }

  /** Switches mode; open (kept-alive) connections are cut so that the new mode applies to every request. */
  set(mode: Mode): void {
    this.mode = mode;
    for (const s of this.sockets) s.destroy();
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const signupSchema = (name: string) => ({
  type: 'record',
  name,
  namespace: 'test.jo',
  fields: [
    { name: 'timestamp', type: 'string' },
    { name: 'eventType', type: 'string' },
    { name: 'identityMap', type: { type: 'map', values: { type: 'array', items: 'string' } } },
  ],
});

const journeyRecord = liveJourneyRecord(
  journey({ a: { type: 'action', action: 'webhook', params: { coupon: 'X' }, next: 'e' }, e: { type: 'end' } }),
);

const { kafka, admin } = brokerSuite('processors-registry-outage');
const proxy = new RegistryProxy(new URL(testRegistryUrl()));
const apps: StreamsApp[] = [];
afterAll(async () => {
  for (const a of apps) await a.close();
  await proxy.close();
});

describe('schema registry outage', () => {
  it('Avro events wait while the registry hangs or drops connections; they are not dead-lettered', async () => {
    const prefix = `${uniqueName('jo-sro')}.`;
    const t = await createJourneyTopics(admin, prefix, 1, 1);
    const real = createAvroRegistry(testRegistryUrl());
    const subject = uniqueName('sro');
    const encode = async (schema: string, email: string) => {
      const id = await real.register(`${subject}-${schema}-value`, signupSchema(schema));
      const value = { timestamp: new Date().toISOString(), eventType: 'user.signup', identityMap: { email: [email] } };
      return real.encode(id, value);
    };
    const first = await encode('SignupA', 'ann@example.com');
    const second = await encode('SignupB', 'bob@example.com');
    const json = (v: unknown) => JSON.stringify(v);
    await produce(kafka, t.config, [
      { key: 'event/signup', value: json(signupEvent) },
      { key: 'action/webhook', value: json(webhookAction('http://127.0.0.1:9')) },
      { key: 'journey/j', value: json(journeyRecord) },
    ]);

    const proxyUrl = await proxy.listen();
    // The engine's registry client: 500 ms per request for the outage, then one that would hang for 10 minutes.
    const quick = createAvroRegistry(proxyUrl, { timeoutMs: 500 });
    const slow = createAvroRegistry(proxyUrl, { timeoutMs: 600_000 });
    let registry = quick;
    const start = async (metrics: InMemoryMetrics) => {
      const { topology } = buildJourneyTopology({
        topicPrefix: prefix,
        metrics,
        decodeAvro: (b, signal) => registry.decode(b, signal),
        limits: { registryWaitMs: 100 },
      });
      const app = new StreamsApp({
        applicationId: `${prefix}app`,
        topology,
        kafka,
        metrics,
        dlqTopic: t.dlq,
        names: journeyRuntimeNames,
        restorer: restoreChangelogs,
        sessionTimeoutMs: 6_000,
      });
      apps.push(app);
      await app.start();
      return app;
    };
    const m = new InMemoryMetrics();
    const app = await start(m);
    const errors = (reason: string) => m.value('jo_schema_registry_errors_total', { reason });

    // 1. The registry accepts and never answers: each call times out, the partition is paused, errors rise.
    proxy.set('hang');
    await produceBytes(t.events, first);
    await waitFor(() => errors('timeout') >= 3, 30_000, '3 registry timeouts');
    expect(m.value('jo_stream_tasks_waiting')).toBe(1);
    const seen = errors('timeout');
    await waitFor(() => errors('timeout') >= seen + 3, 30_000, 'the timeouts to keep rising');
    expect(m.value('jo_stream_record_retries_total', { code: 'SCHEMA_REGISTRY_UNAVAILABLE' })).toBeGreaterThan(0);

    // 2. The registry drops connections: the event still waits.
    proxy.set('drop');
    await waitFor(() => errors('unreachable') >= 3, 30_000, '3 dropped calls');
    expect(m.value('jo_events_normalized_total', { event: 'signup' })).toBe(0);

    // 3. The registry answers again: the waiting event goes through, fetching resumes.
    proxy.set('forward');
    const commands = await readJson<ActionCommand>(kafka, t.commands('http'), (v) => v.length >= 1, 60_000);
    expect(commands.map((c) => c.profileKey)).toEqual(['email:ann@example.com']);
    expect(m.value('jo_stream_tasks_waiting')).toBe(0);

    // 4. A stop while a registry call hangs (its timeout: 10 minutes) is not held by it.
    registry = slow;
    proxy.set('hang');
    const accepted = proxy.accepted;
    await produceBytes(t.events, second);
    await waitFor(() => proxy.accepted > accepted, 30_000, 'the call for the second event');
    const closed = await Promise.race([
      app.close().then(() => 'closed'),
      new Promise((r) => setTimeout(() => r('still waiting after 20 s'), 20_000)),
    ]);
    expect(closed).toBe('closed');

    // 5. The second event was not committed: the next run (registry back) handles it.
    registry = quick;
    proxy.set('forward');
    await start(new InMemoryMetrics());
    const after = await readJson<ActionCommand>(kafka, t.commands('http'), (v) => v.length >= 2, 60_000);
    expect(after.map((c) => c.profileKey)).toEqual(['email:ann@example.com', 'email:bob@example.com']);
    // Nothing was ever written to the dead-letter topic (not even a transaction marker).
    const dlq = await admin.fetchTopicOffsets(t.dlq);
    expect(dlq.map((p) => p.high)).toEqual(['0']);
  });
});

async function produceBytes(topic: string, value: Buffer): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: null, value }] });
  } finally {
    await producer.disconnect();
  }
}
