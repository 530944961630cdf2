/**
 * Options of the journey topology (one object, validated once by `buildJourneyTopology`) and what its processors
 * share: the config view fed by `jo.config`, topic names, limits and the injected collaborators.
 */
import { topicNames, type ConfigView, type DataSourceConfig } from '../schemas/index.js';
import type { Clock, Metrics, Timer } from '../topology/index.js';
import { type AvroDecode, DEFAULT_LIMITS, type EngineLimits } from './journey/index.js';

/**
 * Fetches one custom data source rendered against `data` (`{ profile, profileKey, event }`). Must settle within
 * the data source's timeout and reject on failure; connectors/ `DataSourceClient.fetch` fits.
 */
export type DataSourceFetcher = (ds: DataSourceConfig, data: unknown) => Promise<unknown>;

export interface JourneyLimits extends EngineLimits {
  /** Largest event payload accepted; bigger ones are dead-lettered `EVENT_TOO_LARGE`. Default 1 MiB. */
  readonly maxEventBytes: number;
  /** Period of the wall-clock timer punctuator. Default 1 s. */
  readonly timerIntervalMs: number;
  /** Timers fired per punctuation at most, so an overdue burst after downtime does not starve live events. */
  readonly timerSliceSize: number;
  /** Period of the check for stopped journey versions. Default 1 s. */
  readonly stopCheckIntervalMs: number;
  /** Period of the audience-entry punctuator (due runs, next slice of a running scan). Default 100 ms. */
  readonly audienceIntervalMs: number;
  /** Profiles an audience scan looks at per punctuation, so live events keep flowing during a scan. Default 1,000. */
  readonly audienceSliceSize: number;
  /**
   * Time all audience scans of a process may take in each `audienceIntervalMs` window at least (they share the
   * thread with live records): the slice grows up to `audienceMaxSliceMs` while the event loop has time to spare and
   * falls back when it has none (steps/audience-share.ts). Default 10 ms of every 100 ms.
   */
  readonly audienceSliceMs: number;
  /** The largest slice of every `audienceIntervalMs` the audience scans may grow to (with `loopIdle`). Default 80 ms. */
  readonly audienceMaxSliceMs: number;
  /** Data-source timeout when its config sets none (the fetcher's own default should match). Default 5 s. */
  readonly datasourceTimeoutMs: number;
  /** Extra time the engine grants a fetcher past the data source's timeout before giving up on it. Default 1 s. */
  readonly datasourceGraceMs: number;
  /**
   * While the schema registry fails or does not answer, an Avro event waits (its partition paused) and is tried
   * again after this long, doubling per failed round up to 8×. Default 2 s.
   */
  readonly registryWaitMs: number;
}

export const DEFAULT_JOURNEY_LIMITS: JourneyLimits = {
  ...DEFAULT_LIMITS,
  maxEventBytes: 1024 * 1024,
  timerIntervalMs: 1_000,
  timerSliceSize: 500,
  stopCheckIntervalMs: 1_000,
  audienceIntervalMs: 100,
  audienceSliceSize: 1_000,
  audienceSliceMs: 10,
  audienceMaxSliceMs: 80,
  datasourceTimeoutMs: 5_000,
  datasourceGraceMs: 1_000,
  registryWaitMs: 2_000,
};

export interface JourneyTopologyOptions {
  /** Topic name prefix; default `jo.`. */
  readonly topicPrefix?: string;
  /**
   * Partitions of the internal repartition topic; default: that of the co-partitioned profile-keyed topics
   * (`jo.profiles`, `jo.timers`, `jo.action-results`), which must all have the same count.
   */
  readonly partitions?: number;
  /** Connector types that get a command topic `jo.commands.<connector>`; default `http`, `campaign`. */
  readonly connectors?: readonly string[];
  /** Clock for the engine; default the task's (the runtime's or the test driver's). */
  readonly clock?: Clock;
  /** Metrics sink; default the task's. */
  readonly metrics?: Metrics;
  /** Bounds data-source calls in real time; default `SystemTimer`. */
  readonly timer?: Timer;
  /** Custom data sources; without it a journey reading `datasources.<id>` takes its error path. */
  readonly fetchDatasource?: DataSourceFetcher;
  /** Avro decoding (schemas/ `createAvroRegistry(url).decode`); without it Avro events are dead-lettered. */
  readonly decodeAvro?: AvroDecode;
  readonly limits?: Partial<JourneyLimits>;
  /**
   * Verbose step events for every journey: discards of events that entered no journey (`noJourneyForEvent`) or
   * failed an entry condition become step records too. A journey can turn it on for itself (`verboseSteps`).
   */
  readonly verboseSteps?: boolean;
  /** The view `jo.config` is applied to; a new one by default. Pass one to read it elsewhere too. */
  readonly configView?: ConfigView;
  /**
   * The share of time the process's event loop was idle since the last call (0..1); the composition root passes
   * one from `performance.eventLoopUtilization()`. With it the audience scans take more of the thread while it has
   * time to spare (steps/audience-share.ts); without it they keep to `audienceSliceMs`.
   */
  readonly loopIdle?: () => number;
  /**
   * The per-node report (processor `report`, store `journey-report`, changelog `jo.reports`); default true. A
   * simulation leaves it out: it counts steps from the step records it observes and never reads the report store.
   */
  readonly nodeReport?: boolean;
}

/** Store names (their changelog topics are `${applicationId}-${name}-changelog`). */
/** Headers of every record the journey processors forward: none, one frozen object shared by all of them. */
export const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export const STORES = {
  config: 'journey-config',
  profiles: 'profiles',
  instances: 'journey-instances',
  timers: 'timer-index',
  stops: 'journey-stops',
  /** Per profile: recent commands counted by frequency caps. */
  sends: 'profile-sends',
  /** Per live audience journey version: the last completed run and the position of a running scan. */
  audience: 'audience-runs',
  /** Per journey version: this partition's per-node counts (changelog: `jo.reports`). */
  report: 'journey-report',
  /** Per journey: this partition's entries today and instances running (journey entry caps). */
  entries: 'journey-entries',
} as const;

export interface StepDeps {
  readonly view: ConfigView;
  readonly topics: ReturnType<typeof topicNames>;
  readonly connectors: readonly string[];
  readonly limits: JourneyLimits;
  readonly verboseSteps: boolean;
  /** Partitions of the profile-keyed topics (each partition admits its share of a journey's entry caps). */
  readonly partitions: number;
  readonly fetchDatasource?: DataSourceFetcher;
  readonly decodeAvro?: AvroDecode;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  readonly timer?: Timer;
  readonly loopIdle?: () => number;
}
