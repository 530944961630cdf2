/**
 * Processor `normalize`: raw `jo.events` records (any key, JSON or Avro bytes) → normalized events keyed by
 * profile identity `<namespace>:<id>`, forwarded to the repartition step. Bad input is dead-lettered with its
 * code (the stream continues); events no configuration recognises are counted as discarded.
 */
import type { EventConfig } from '../../schemas/index.js';
import {
  JoError,
  RetryLaterError,
  SystemTimer,
  type Counter,
  type InputMetadata,
  type Processor,
  type ProcessorContext,
  type StreamRecord,
  type Timer,
} from '../../topology/index.js';
import {
  type NormalizedEvent,
  type NormalizeResult,
  type RegistryRetry,
  normalizeEventNow,
  profileKeyOf,
  recognitionOrder,
} from '../journey/index.js';
import { journeyMetrics, type JourneyMetrics } from './journey-metrics.js';
import { processorMetrics } from '../metric-catalogue.js';
import { NO_HEADERS, type StepDeps } from '../topology-options.js';

export class NormalizeProcessor implements Processor<Buffer | null, Buffer | null, string, NormalizedEvent> {
  private ctx!: ProcessorContext<string, NormalizedEvent>;
  private metrics!: JourneyMetrics;
  private events: { revision: number; list: EventConfig[] } = { revision: -1, list: [] };
  private readonly timer: Timer;
  private registryErrors!: Counter;
  /** How registry calls are retried (built once: per event it would cost two closures). */
  private registryRetry!: RegistryRetry;
  /** Rounds in a row in which the registry failed (the wait before the next one doubles, up to 8×). */
  private failedRounds = 0;

  constructor(private readonly deps: StepDeps) {
    this.timer = deps.timer ?? new SystemTimer();
  }

  init(ctx: ProcessorContext<string, NormalizedEvent>): void {
    this.ctx = ctx;
    this.metrics = journeyMetrics(this.deps.metrics ?? ctx.metrics);
    this.registryErrors = (this.deps.metrics ?? ctx.metrics).counter(processorMetrics.registryErrors);
    this.registryRetry = {
      attempts: 2,
      baseMs: 200,
      sleep: (ms, signal) => this.timer.sleep(ms, signal),
      signal: ctx.signal,
      onFault: (reason) => this.registryErrors.inc({ reason }),
    };
  }

  private configs(): EventConfig[] {
    const view = this.deps.view;
    if (this.events.revision !== view.revision)
      this.events = { revision: view.revision, list: recognitionOrder(view.list('event') as EventConfig[]) };
    return this.events.list;
  }

  /**
   * Normalizes one event. A registry that fails or hangs is retried twice (200, 400 ms), each call under the
   * registry client's timeout; then the event waits: RetryLaterError makes the runtime pause the partition and
   * hand the event again later, so it is neither dead-lettered nor holding a stop (the calls end with the task).
   */
  private normalize(r: StreamRecord<Buffer | null, Buffer | null>, md: InputMetadata | undefined, now: number) {
    // a JSON event is normalized at once; only an Avro one (the registry) gives a promise
    const result = normalizeEventNow({
      value: r.value,
      events: this.configs(),
      maxBytes: this.deps.limits.maxEventBytes,
      ...(this.deps.decodeAvro ? { decodeAvro: this.deps.decodeAvro } : {}),
      registryRetry: this.registryRetry,
      fallbackId: md ? `${md.topic}-${md.partition}-${md.offset}` : `event-${r.timestamp}`,
      fallbackTimestamp: r.timestamp,
      now,
    });
    if (!(result instanceof Promise)) return this.normalized(result);
    return result.then(this.normalized, this.registryFailed);
  }

  private readonly normalized = (result: NormalizeResult): NormalizeResult => {
    this.failedRounds = 0;
    return result;
  };

  private readonly registryFailed = (err: unknown): never => {
    if (!(err instanceof JoError) || err.code !== 'SCHEMA_REGISTRY_UNAVAILABLE') throw err;
    const wait = this.deps.limits.registryWaitMs * 2 ** Math.min(this.failedRounds++, 3);
    throw new RetryLaterError(err, wait);
  };

  async process(r: StreamRecord<Buffer | null, Buffer | null>): Promise<void> {
    const md = this.ctx.recordMetadata();
    this.metrics.consumed.inc({ topic: md?.topic ?? '' });
    const clock = this.deps.clock ?? this.ctx.clock;
    const normalized = this.normalize(r, md, clock.now());
    const result = normalized instanceof Promise ? await normalized : normalized;
    if (result.kind === 'dead') {
      await this.ctx.deadLetter({ code: result.code, message: result.message });
      return;
    }
    if (result.kind === 'discard') {
      this.metrics.discarded.inc({ reason: result.reason, journey: '' });
      return;
    }
    this.metrics.normalized.inc({ event: result.event.eventConfigId });
    await this.ctx.forward({
      key: profileKeyOf(result.event.identity),
      value: result.event,
      timestamp: r.timestamp,
      headers: NO_HEADERS,
    });
  }
}
