/**
 * Sets up the real journey topology on the TopologyTestDriver: config records piped to `jo.config`, helpers to
 * produce unkeyed XDM events and profiles, and readers for commands, step events and the DLQ.
 */
import { afterEach } from 'vitest';
import type {
  ConfigView,
  ActionCommand,
  ActionConfig,
  EventConfig,
  JourneyConfig,
  JourneyRecord,
  StepRecord,
} from '../../schemas/index.js';
import { resultOf } from '../../schemas/index.js';
import type { InstanceStep } from '../journey/index.js';
import { TopologyTestDriver } from '../../topology/testing/index.js';
import { emailAction, purchaseEvent, signupEvent, webhookAction, welcomeJourney } from './journeys.js';
export { journey } from './journeys.js';
import type { DataSourceFetcher, JourneyLimits } from '../topology-options.js';
import { buildJourneyTopology } from '../journey-topology.js';
import { journeyRuntimeNames } from '../runtime-names.js';

export interface DriverSetup {
  readonly partitions?: number;
  readonly limits?: Partial<JourneyLimits>;
  readonly fetchDatasource?: DataSourceFetcher;
  readonly verboseSteps?: boolean;
}

/** Drivers created and not closed yet (closeDriversAfterEach closes them). */
const open = new Set<JourneyDriver>();

/** For a test file: after each test, closes every JourneyDriver the test created and did not close itself. */
export function closeDriversAfterEach(): void {
  afterEach(async () => {
    for (const d of [...open]) await d.close();
  });
}

export class JourneyDriver {
  private readonly records = new Map<string, JourneyRecord>();

  private constructor(
    readonly driver: TopologyTestDriver,
    /** The config view the topology's `jo.config` global store feeds. */
    readonly view: ConfigView,
  ) {}

  static async create(setup: DriverSetup = {}): Promise<JourneyDriver> {
    const { topology, view } = buildJourneyTopology({
      partitions: setup.partitions ?? 3,
      ...(setup.limits ? { limits: setup.limits } : {}),
      ...(setup.fetchDatasource ? { fetchDatasource: setup.fetchDatasource } : {}),
      ...(setup.verboseSteps !== undefined ? { verboseSteps: setup.verboseSteps } : {}),
    });
    const driver = await TopologyTestDriver.create(topology, {
      applicationId: 'jo-test',
      partitions: setup.partitions ?? 3,
      topicPartitions: { 'jo.config': 1, 'jo.events': 2 },
      dlqTopic: 'jo.dlq',
      names: journeyRuntimeNames,
    });
    const d = new JourneyDriver(driver, view);
    open.add(d);
    return d;
  }

  get clock() {
    return this.driver.clock;
  }

  async resources(
    ...items: Array<{ kind: 'event' | 'action' | 'datasource'; value: EventConfig | ActionConfig | object }>
  ) {
    for (const { kind, value } of items)
      await this.driver.pipeInput('jo.config', `${kind}/${(value as { id: string }).id}`, value);
  }

  /** Publishes `journey` as a new live version (the previous live one is closed). Returns the version. */
  async publish(journey: JourneyConfig): Promise<number> {
    const now = new Date(this.clock.now()).toISOString();
    const prev = this.records.get(journey.id)?.versions ?? [];
    const version = prev.length + 1;
    const versions = [
      ...prev.map((v) => (v.state === 'live' ? { ...v, state: 'closed' as const, closedAt: now } : v)),
      { version, state: 'live' as const, createdAt: now, publishedAt: now, journey },
    ];
    await this.putRecord({ id: journey.id, versions });
    return version;
  }

  /** Pauses (`true`) or resumes (`false`) a journey, as `POST /v1/journeys/:id/pause|resume` would. */
  async pause(journeyId: string, paused: boolean): Promise<void> {
    const rec = this.records.get(journeyId);
    if (!rec) throw new Error(`no journey ${journeyId}`);
    const now = new Date(this.clock.now()).toISOString();
    const { pausedAt: _p, ...rest } = rec;
    await this.putRecord(paused ? { ...rest, pausedAt: now } : { ...rest, resumedAt: now });
  }

  async stop(journeyId: string, version: number): Promise<void> {
    const rec = this.records.get(journeyId);
    if (!rec) throw new Error(`no journey ${journeyId}`);
    const now = new Date(this.clock.now()).toISOString();
    await this.putRecord({
      id: journeyId,
      versions: rec.versions.map((v) =>
        v.version === version ? { ...v, state: 'stopped' as const, stoppedAt: now } : v,
      ),
    });
  }

  private async putRecord(rec: JourneyRecord): Promise<void> {
    this.records.set(rec.id, rec);
    await this.driver.pipeInput('jo.config', `journey/${rec.id}`, rec);
  }

  async profile(who: string, attrs: Record<string, unknown> | null): Promise<void> {
    await this.driver.pipeInput('jo.profiles', `email:${who}`, attrs);
  }

  /** An XDM event for `email:<who>`, produced WITHOUT a key. */
  async event(eventType: string, who: string, extra: Record<string, unknown> = {}): Promise<void> {
    await this.driver.pipeInput('jo.events', null, {
      timestamp: new Date(this.clock.now()).toISOString(),
      eventType,
      identityMap: { email: [{ id: who, primary: true }] },
      ...extra,
    });
  }

  async raw(value: Buffer | string | object | null, key: string | null = null): Promise<void> {
    await this.driver.pipeInput('jo.events', key, value);
  }

  async result(cmd: ActionCommand, status: string, extra: Record<string, unknown> = {}): Promise<void> {
    await this.driver.pipeInput('jo.action-results', cmd.profileKey, {
      ...resultOf(cmd),
      status,
      attempts: 1,
      ...extra,
    });
  }

  /** A control record asking to take `who` out of `journeyId` (what `POST .../exit` writes to `jo.controls`). */
  async exit(who: string, journeyId: string, controlId: string): Promise<void> {
    await this.driver.pipeInput('jo.controls', `email:${who}`, { type: 'exit', controlId, journeyId });
  }

  advance(ms: number): Promise<void> {
    return this.driver.advanceWallClockTime(ms);
  }

  commands(connector = 'campaign'): ActionCommand[] {
    return this.driver.readOutput<string, ActionCommand>(`jo.commands.${connector}`).map((r) => {
      if (r.key !== r.value.profileKey) throw new Error('command not keyed by profile key');
      return r.value;
    });
  }

  /** Step records written since the last read (each keyed by its profile key). */
  stepRecords(): StepRecord[] {
    return this.driver.readOutput<string, StepRecord>('jo.step-events').map((r) => {
      if (r.key !== r.value.profileKey) throw new Error('step record not keyed by profile key');
      return r.value;
    });
  }

  /** The steps of the step records written since the last read, each with its record's instance fields. */
  steps(): Array<InstanceStep & { readonly cause: StepRecord['cause'] }> {
    return this.stepRecords().flatMap(({ steps, ...rec }) => steps.map((s) => ({ ...rec, ...s })));
  }

  /** Step events as `who:node:status[:reason]`. */
  trail(): string[] {
    return this.steps().map((s) =>
      [s.profileKey.replace(/^email:/, ''), s.nodeId, s.status, s.reason].filter(Boolean).join(':'),
    );
  }

  dlq(): Array<{ code: string; message: string; value: Buffer | null }> {
    return this.driver.readOutput('jo.dlq').map((r) => ({
      code: r.headers['jo.error.code'] ?? '',
      message: r.headers['jo.error.message'] ?? '',
      value: r.rawValue,
    }));
  }

  metric(name: string, labels?: Record<string, string | number>): number {
    return this.driver.metrics.value(name, labels);
  }

  close(): Promise<void> {
    open.delete(this);
    return this.driver.close();
  }
}

export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** A driver with the welcome resources, the profile `ann`, and (by default) the welcome journey published. */
export async function welcomeDriver(
  setup: Parameters<typeof JourneyDriver.create>[0] = {},
  publishWelcome = true,
): Promise<JourneyDriver> {
  const d = await JourneyDriver.create(setup);
  await d.resources(
    { kind: 'event', value: signupEvent },
    { kind: 'event', value: purchaseEvent },
    { kind: 'action', value: emailAction('http://127.0.0.1:9/ts') },
    { kind: 'action', value: webhookAction('http://127.0.0.1:9') },
  );
  if (publishWelcome) await d.publish(welcomeJourney);
  await d.profile('ann', { firstName: 'Ann', email: 'ann@example.com' });
  return d;
}
