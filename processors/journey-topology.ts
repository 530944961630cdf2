/**
 * `buildJourneyTopology`: the whole journey pipeline as one topology, to run under the Kafka runtime (ops/) or
 * the TopologyTestDriver (tests).
 *
 *   jo.events ─► normalize ─► repartition "events-by-profile" (murmur2 of `<namespace>:<id>`)
 *                                  │
 *   jo.profiles ─► profile-store   ▼
 *                 (profiles) ◄─ enrich ─► match ──────────┐
 *                 timers (wall-clock punctuator) ────────► emit ─► jo.commands.<connector>
 *   jo.action-results ─► resume (stop sweep punctuator) ───┤  ├──► jo.step-events
 *   jo.controls ─► control (manual exit) ──────────────────┘
 *                                                             └──► timer index (changelog: jo.timers)
 *   (match, timers, resume, control) ─► report ─► per-node counts store (changelog: jo.reports)
 *   jo.config ─► global store "journey-config" ─► ConfigView (journeys, events, actions, data sources)
 *
 * Sub-topology 0 (normalize) reads the events topic with whatever key and partitioning the producer used;
 * sub-topology 1 holds every profile-keyed store, fed by co-partitioned topics.
 */
import { ConfigView, topicNames } from '../schemas/index.js';
import {
  serdes,
  stringSerde,
  jsonSerde,
  TopologyBuilder,
  type KeyValueStore,
  type Topology,
} from '../topology/index.js';
import { EmitProcessor, SINKS } from './steps/emit-processor.js';
import { EnrichProcessor } from './steps/enrich-processor.js';
import { ResumeProcessor } from './steps/resume-processor.js';
import { ControlProcessor } from './steps/control-processor.js';
import { ReportProcessor } from './steps/report-processor.js';
import { MatchProcessor } from './steps/match-processor.js';
import { NormalizeProcessor } from './steps/normalize-processor.js';
import { DEFAULT_JOURNEY_LIMITS, STORES, type JourneyTopologyOptions, type StepDeps } from './topology-options.js';
import { ProfileStoreProcessor } from './steps/profile-store-processor.js';
import { TimersProcessor } from './steps/timers-processor.js';
import { AudienceProcessor } from './steps/audience-processor.js';
import { ConfigError } from '../topology/index.js';
import { profileStateSerde, timerSerde } from './journey/index.js';

/** Name of the repartition step; its topic is `${applicationId}-events-by-profile-repartition`. */
export const REPARTITION = 'events-by-profile';

function stepDeps(opts: JourneyTopologyOptions): StepDeps {
  const limits = { ...DEFAULT_JOURNEY_LIMITS, ...opts.limits };
  const problems = Object.entries(limits)
    .filter(([, v]) => !(typeof v === 'number' && Number.isFinite(v) && v > 0))
    .map(([k, v]) => `limits.${k} must be a positive number, got ${String(v)}`);
  if (opts.partitions !== undefined && !(Number.isInteger(opts.partitions) && opts.partitions > 0))
    problems.push(`partitions must be a positive integer, got ${opts.partitions}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    view: opts.configView ?? new ConfigView(),
    topics: topicNames(opts.topicPrefix),
    connectors: [...new Set(['http', 'campaign', ...(opts.connectors ?? [])])],
    limits: Object.freeze(limits),
    verboseSteps: opts.verboseSteps ?? false,
    partitions: opts.partitions ?? 1,
    ...(opts.fetchDatasource ? { fetchDatasource: opts.fetchDatasource } : {}),
    ...(opts.decodeAvro ? { decodeAvro: opts.decodeAvro } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.timer ? { timer: opts.timer } : {}),
    ...(opts.loopIdle ? { loopIdle: opts.loopIdle } : {}),
  };
}

/** The journey topology plus the config view its `jo.config` global store feeds. */
export interface JourneyTopology {
  readonly topology: Topology;
  readonly view: ConfigView;
  readonly topics: ReturnType<typeof topicNames>;
  /** Connector types with a command sink. */
  readonly connectors: readonly string[];
}

/** Builds the journey pipeline; throws `ConfigError` listing every bad option. */
export function buildJourneyTopology(opts: JourneyTopologyOptions = {}): JourneyTopology {
  const s = stepDeps(opts);
  const t = s.topics;
  const json = serdes.jsonDeserializer<unknown>();
  const jsonOut = serdes.jsonSerializer<unknown>();
  const str = serdes.stringDeserializer;
  const strOut = serdes.stringSerializer;
  const b = new TopologyBuilder()
    .addGlobalStore<string>({
      store: { name: STORES.config, serde: stringSerde, changelog: false },
      topic: t.config,
      keyDeserializer: str,
      valueDeserializer: str,
      processor: () => {
        let store: KeyValueStore<string>;
        return {
          init: (ctx) => void (store = ctx.getStateStore<string>(STORES.config)),
          process: async (r) => {
            if (r.key === null) return;
            s.view.apply(r.key, r.value);
            if (r.value === null) await store.delete(r.key);
            else await store.put(r.key, r.value);
          },
        };
      },
    })
    .addSource({
      name: 'events',
      topics: [t.events],
      keyDeserializer: serdes.bufferDeserializer,
      valueDeserializer: serdes.bufferDeserializer,
    })
    .addProcessor({ name: 'normalize', parents: ['events'], supplier: () => new NormalizeProcessor(s) })
    .addRepartition({
      name: REPARTITION,
      parents: ['normalize'],
      keySerializer: strOut,
      valueSerializer: jsonOut,
      keyDeserializer: str,
      valueDeserializer: json,
      ...(opts.partitions !== undefined ? { partitions: opts.partitions } : {}),
    })
    .addStateStore({ name: STORES.profiles, serde: jsonSerde<unknown>(), prefetchInputKeys: true })
    .addStateStore({ name: STORES.instances, serde: profileStateSerde, prefetchInputKeys: true })
    // jo.timers is the timer index's changelog: a wait costs one record, written with the step that set it.
    .addStateStore({ name: STORES.timers, serde: timerSerde, changelogTopic: t.timers })
    .addStateStore({ name: STORES.stops, serde: jsonSerde<unknown>() })
    .addStateStore({ name: STORES.sends, serde: jsonSerde<unknown>(), prefetchInputKeys: true })
    // jo.reports is the per-node report's changelog: the API sums its rows (one per journey version and partition).
    // (logged once per changed row per commit, not once per event)
    .addStateStore({
      name: STORES.report,
      serde: jsonSerde<unknown>(),
      changelogTopic: t.reports,
      coalesceChangelog: true,
    })
    .addStateStore({ name: STORES.entries, serde: jsonSerde<unknown>() })
    .addStateStore({ name: STORES.audience, serde: jsonSerde<unknown>() })
    .addSource({ name: 'profiles', topics: [t.profiles], keyDeserializer: str, valueDeserializer: json })
    .addProcessor({
      name: 'profile-store',
      parents: ['profiles'],
      supplier: () => new ProfileStoreProcessor(),
      stores: [STORES.profiles],
    })
    .addProcessor({
      name: 'enrich',
      parents: [REPARTITION],
      supplier: () => new EnrichProcessor(),
      stores: [STORES.profiles],
    })
    .addProcessor({
      name: 'match',
      parents: ['enrich'],
      supplier: () => new MatchProcessor(s),
      stores: [STORES.instances, STORES.profiles, STORES.sends, STORES.entries],
    })
    .addProcessor({
      name: 'timers',
      parents: [],
      supplier: () => new TimersProcessor(s),
      stores: [STORES.timers, STORES.instances, STORES.profiles, STORES.sends, STORES.entries],
    })
    .addProcessor({
      name: 'audience',
      parents: [],
      supplier: () => new AudienceProcessor(s),
      stores: [STORES.audience, STORES.instances, STORES.profiles, STORES.sends, STORES.entries],
    })
    .addSource({ name: 'results-in', topics: [t.actionResults], keyDeserializer: str, valueDeserializer: json })
    .addProcessor({
      name: 'resume',
      parents: ['results-in'],
      supplier: () => new ResumeProcessor(s),
      stores: [STORES.instances, STORES.profiles, STORES.stops, STORES.sends, STORES.entries],
    })
    .addSource({ name: 'controls-in', topics: [t.controls], keyDeserializer: str, valueDeserializer: json })
    .addProcessor({
      name: 'control',
      parents: ['controls-in'],
      supplier: () => new ControlProcessor(s),
      stores: [STORES.instances, STORES.profiles, STORES.sends, STORES.entries],
    })
    .addProcessor({
      name: 'emit',
      parents: ['match', 'timers', 'resume', 'control', 'audience'],
      supplier: () => new EmitProcessor(s),
      stores: [STORES.timers, STORES.instances, STORES.profiles],
    });
  if (opts.nodeReport !== false)
    b.addProcessor({
      name: 'report',
      parents: ['match', 'timers', 'resume', 'control', 'audience'],
      supplier: () => new ReportProcessor(s),
      stores: [STORES.report],
    });
  for (const c of s.connectors)
    b.addSink({
      name: SINKS.command(c),
      topic: t.commands(c),
      parents: ['emit'],
      keySerializer: strOut,
      valueSerializer: jsonOut,
    });
  b.addSink({
    name: SINKS.profiles,
    topic: t.profiles,
    parents: ['emit'],
    keySerializer: strOut,
    valueSerializer: jsonOut,
  });
  b.addSink({
    name: SINKS.steps,
    topic: t.stepEvents,
    parents: ['emit'],
    keySerializer: strOut,
    valueSerializer: jsonOut,
  });
  return { topology: b.build(), view: s.view, topics: t, connectors: s.connectors };
}
