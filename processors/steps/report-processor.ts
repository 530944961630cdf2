/**
 * Processor `report`: the exact per-node report. A sibling of `emit`, it gets every outcome and folds its steps
 * into this partition's row of each journey version involved (processors/journey/node-report.ts), in the
 * `journey-report` store, whose changelog is `jo.reports`: the rows commit in the same transaction as the step
 * records they count, so the numbers stay exact across crashes and rebalances (a new owner restores them from
 * `jo.reports`). The store logs a changed row once per commit (`coalesceChangelog`): a busy journey version costs
 * one `jo.reports` record per partition and commit, not one per event. It also keeps this task's share of
 * `jo_journey_node_instances`.
 *
 * The rows this task touched stay parsed in `rows` while the task lives: this processor is the report store's only
 * writer, the task reads the rows once (init) and afterwards only ever sees what it put itself, so an input costs
 * no store read and JSON parse of its rows, only the put. A task that fails is closed and rebuilt (its stores
 * rolled back or restored, a new processor made), so the cache never outlives a rollback of the store.
 */
import type { ReportRow } from '../../schemas/index.js';
import type { KeyValueStore, Processor, ProcessorContext, StreamRecord } from '../../topology/index.js';
import { countOutcome, type WaitingListener } from '../journey/index.js';
import { journeyMetrics, type JourneyMetrics } from './journey-metrics.js';
import type { OutcomeRecord } from './task-journeys.js';
import { STORES, type StepDeps } from '../topology-options.js';

export class ReportProcessor implements Processor<string, OutcomeRecord, never, never> {
  private store!: KeyValueStore<ReportRow>;
  private metrics!: JourneyMetrics;
  /** This task's share of the waiting gauge, taken away again on close. */
  private readonly waiting = new Map<string, { journey: string; version: number; node: string; n: number }>();
  /** Every row of the store, parsed: read once at init, then kept in step with each put. */
  private readonly rows = new Map<string, ReportRow>();
  /** Made once: a closure per input costs a property definition under tsx's keepNames. */
  private readonly onWaiting: WaitingListener = (j, v, node, d) => this.addWaiting(j, v, node, d);

  constructor(private readonly deps: StepDeps) {}

  async init(ctx: ProcessorContext<never, never>): Promise<void> {
    this.store = ctx.getStateStore<ReportRow>(STORES.report);
    this.metrics = journeyMetrics(this.deps.metrics ?? ctx.metrics);
    for await (const [key, row] of this.store.all()) {
      this.rows.set(key, row);
      for (const [node, n] of Object.entries(row.nodes))
        if (n.waiting !== 0) this.addWaiting(row.journeyId, row.version, node, n.waiting);
    }
  }

  close(): void {
    for (const w of this.waiting.values())
      if (w.n !== 0) this.metrics.nodeInstances.dec({ journey: w.journey, version: w.version, node: w.node }, w.n);
    this.waiting.clear();
    this.rows.clear();
  }

  private addWaiting(journey: string, version: number, node: string, n: number): void {
    const key = `${journey}\u0000${version}\u0000${node}`;
    const w = this.waiting.get(key) ?? { journey, version, node, n: 0 };
    w.n += n;
    this.waiting.set(key, w);
    if (n > 0) this.metrics.nodeInstances.inc({ journey, version, node }, n);
    else this.metrics.nodeInstances.dec({ journey, version, node }, -n);
  }

  async process(r: StreamRecord<string, OutcomeRecord>): Promise<void> {
    const { outcome } = r.value;
    if (outcome.steps.length === 0) return;
    // countOutcome adds the rows it creates to `rows`: they join the cache with their first put
    const changed = countOutcome(outcome, this.rows, this.onWaiting);
    for (const k of changed) {
      const row = this.rows.get(k);
      if (row) await this.store.put(k, row);
    }
  }
}
