/**
 * The one place that knows every topic of the product contract (PRODUCT.md → Topics): name, partition count,
 * config, and which topics must be co-partitioned (same partition count, so one profile's data meets in one task).
 */

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly compacted: boolean;
  /** Extra broker topic configs (`retention.ms`, ...). */
  readonly config?: Readonly<Record<string, string>>;
  /** Topics in the same group must have equal partition counts. */
  readonly coPartitionGroup?: string;
  readonly purpose: string;
}

export interface TopicCatalogOptions {
  /** Topic name prefix; `jo.` by default. */
  readonly prefix?: string;
  /** Partitions of the profile-keyed topics (events repartitioned, profiles, timers, commands, results...). */
  readonly partitions?: number;
  /** Connector types with a command topic. */
  readonly connectors?: readonly string[];
}

export const DEFAULT_TOPIC_PREFIX = 'jo.';
export const DEFAULT_PARTITIONS = 6;

export function topicNames(prefix = DEFAULT_TOPIC_PREFIX) {
  return {
    events: `${prefix}events`,
    profiles: `${prefix}profiles`,
    config: `${prefix}config`,
    timers: `${prefix}timers`,
    commands: (connector: string) => `${prefix}commands.${connector}`,
    actionResults: `${prefix}action-results`,
    actionAttempts: `${prefix}action-attempts`,
    /** The throttle queue of a connector (internal, keyed by action id): see connectors/throttle-queue.ts. */
    actionQueue: (connector: string) => `${prefix}action-queue.${connector}`,
    stepEvents: `${prefix}step-events`,
    controls: `${prefix}controls`,
    reports: `${prefix}reports`,
    dlq: `${prefix}dlq`,
  } as const;
}

/** Every public topic of the contract with its default shape. Internal changelog/repartition topics are the runtime's. */
export function topicCatalog(opts: TopicCatalogOptions = {}): TopicSpec[] {
  const n = topicNames(opts.prefix ?? DEFAULT_TOPIC_PREFIX);
  const p = opts.partitions ?? DEFAULT_PARTITIONS;
  const connectors = opts.connectors ?? ['http', 'campaign'];
  const compact = { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': '3600000' };
  return [
    { name: n.events, partitions: p, compacted: false, purpose: 'input events (any key)' },
    {
      name: n.profiles,
      partitions: p,
      compacted: true,
      config: compact,
      coPartitionGroup: 'profile',
      purpose: 'built-in profile data source',
    },
    {
      name: n.config,
      partitions: 1,
      compacted: true,
      config: compact,
      purpose: 'configuration written by the REST API',
    },
    {
      name: n.timers,
      partitions: p,
      // the changelog of the engine's timer index: key = due time + token, a fired or cancelled timer a tombstone
      compacted: true,
      config: compact,
      coPartitionGroup: 'profile',
      purpose: 'durable schedule of waits and timeouts',
    },
    ...connectors.map((c) => ({
      name: n.commands(c),
      partitions: p,
      compacted: false,
      coPartitionGroup: 'profile',
      purpose: `action commands for the ${c} connector`,
    })),
    {
      name: n.actionResults,
      partitions: p,
      compacted: false,
      coPartitionGroup: 'profile',
      purpose: 'action results from connectors',
    },
    {
      name: n.actionAttempts,
      partitions: p,
      compacted: false,
      config: { 'retention.ms': String(7 * 24 * 3600 * 1000), 'segment.ms': '3600000' },
      coPartitionGroup: 'profile',
      purpose: 'internal: calls connectors made, recorded before each call (read back after a crash)',
    },
    { name: n.stepEvents, partitions: p, compacted: false, purpose: 'journey step events' },
    {
      name: n.controls,
      partitions: p,
      compacted: false,
      coPartitionGroup: 'profile',
      purpose: 'internal: control records for one profile (manual exit), keyed by profile key',
    },
    {
      name: n.reports,
      partitions: p,
      // the changelog of the engine's per-node report store: key = `<journeyId>/<version>`, one row per partition
      compacted: true,
      config: compact,
      coPartitionGroup: 'profile',
      purpose: 'internal: exact per-node counts of each journey version, one row per partition (the API sums them)',
    },
    {
      name: n.dlq,
      partitions: 1,
      compacted: false,
      config: { 'retention.ms': String(30 * 24 * 3600 * 1000) },
      purpose: 'dead letters',
    },
  ];
}
