/**
 * Typed diagnostics of the Kafka runtime. `StreamsApp.events` emits these; ops/ turns them into Prometheus
 * metrics and log lines. Listeners run synchronously on the task loop: keep them cheap and never throw.
 */
import { EventEmitter } from 'node:events';

export type TaskState = 'created' | 'restoring' | 'running' | 'suspended' | 'closed';
export type AppState = 'created' | 'starting' | 'running' | 'rebalancing' | 'closing' | 'closed' | 'failed';

export interface StreamsEvents {
  /** Records a task processed since its previous commit (emitted at each commit). */
  'records-processed': { readonly taskId: string; readonly count: number };
  /** A finished commit: transaction (exactly-once) or produce + offset commit (at-least-once). */
  commit: { readonly taskId: string; readonly latencyMs: number; readonly outputs: number };
  /**
   * A transaction of the process's shared transactions committed (`transactionScope: 'process'`): how long it took
   * from its first request to its commit, and how many task commits and records it carried.
   */
  transaction: { readonly latencyMs: number; readonly commits: number; readonly records: number };
  /** A shared transaction failed: its task commits, and those waiting for the next one, were refused. */
  'transaction-failed': { readonly commits: number; readonly error: unknown };
  'restore-progress': {
    readonly taskId: string;
    readonly topic: string;
    readonly partition: number;
    readonly restored: number;
    readonly remaining: number;
    readonly recordsPerSecond: number;
    readonly done: boolean;
  };
  'restore-complete': {
    readonly taskId: string;
    readonly restored: number;
    readonly durationMs: number;
    readonly recordsPerSecond: number;
  };
  /** Records behind the partition's high watermark (as of the last fetch). */
  lag: { readonly taskId: string; readonly topic: string; readonly partition: number; readonly lag: number };
  'task-state': { readonly taskId: string; readonly state: TaskState; readonly reason?: string };
  'app-state': { readonly state: AppState };
  /**
   * `waiting`: a processor could not handle a record yet (RetryLaterError, e.g. the schema registry is down): the
   * task's input partitions are paused and the record is handed again after `retryAfterMs` (emitted at each
   * retry). `waiting: false`: a record went through again (or the task closed); fetching resumes.
   */
  'task-waiting': {
    readonly taskId: string;
    readonly waiting: boolean;
    readonly code: string;
    readonly retryAfterMs: number;
  };
  /** A task failed (fenced, commit failed, `stop` policy); the runtime closes it and carries on or stops. */
  'task-error': { readonly taskId: string; readonly error: unknown; readonly fatal: boolean };
}

export type StreamsEventName = keyof StreamsEvents;

/** An EventEmitter whose event names and payloads are typed by `StreamsEvents`. */
export class StreamsDiagnostics {
  private readonly ee = new EventEmitter();

  on<K extends StreamsEventName>(event: K, listener: (e: StreamsEvents[K]) => void): this {
    this.ee.on(event, listener);
    return this;
  }

  off<K extends StreamsEventName>(event: K, listener: (e: StreamsEvents[K]) => void): this {
    this.ee.off(event, listener);
    return this;
  }

  emit<K extends StreamsEventName>(event: K, payload: StreamsEvents[K]): void {
    this.ee.emit(event, payload);
  }
}
