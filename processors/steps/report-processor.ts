/**
 * Processor `report`: the exact per-node report. A sibling of `emit`, it gets every outcome and folds its steps
 * into this partition's row of each journey version involved (processors/journey/node-report.ts), in the
 * `journey-report` store, whose changelog is `jo.reports`: the rows commit in the same transaction as the step
 * records they count, so the numbers stay exact across crashes and rebalances (a new owner restores them from
 * `jo.reports`). The store logs a changed row once per commit (`coalesceChangelog`): a busy journey version costs
 * one `jo.reports` record per partition and commit, not one per event. It also keeps this task's share of
 * `jo_journey_node_instances`.
 */
import type { ReportRow } from '../../schemas/index.js';
import type { KeyValueStore, Processor, ProcessorContext, StreamRecord } from '../../topology/index.js';
import { countOutcome, reportKeysOf } from '../journey/index.js';
import { journeyMetrics, type JourneyMetrics } from './journey-metrics.js';
import type { OutcomeRecord } from './task-journeys.js';
import { STORES, type StepDeps } from '../topology-options.js';

export class ReportProcessor implements Processor<string, OutcomeRecord, never, never> {
  private store!: KeyValueStore<ReportRow>;
  private metrics!: JourneyMetrics;
  /** This task's share of the waiting gauge, taken away again on close. */
  private readonly waiting = new Map<string, { journey: string; version: number; node: string; n: number }>();

  constructor(private readonly deps: StepDeps) {}

  async init(ctx: ProcessorContext<never, never>): Promise<void> {
    this.store = ctx.getStateStore<ReportRow>(STORES.report);
    this.metrics = journeyMetrics(this.deps.metrics ?? ctx.metrics);
    for await (const [, row] of this.store.all())
      for (const [node, n] of Object.entries(row.nodes))
        if (n.waiting !== 0) this.addWaiting(row.journeyId, row.version, node, n.waiting);
  }

  close(): void {
    for (const w of this.waiting.values())
      if (w.n !== 0) this.metrics.nodeInstances.dec({ journey: w.journey, version: w.version, node: w.node }, w.n);
    this.waiting.clear();
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
    const keys = reportKeysOf(outcome);
    if (keys.size === 0) return;
    const rows = new Map<string, ReportRow>();
    for (const k of keys) {
      const row = await this.store.get(k);
      if (row) rows.set(k, row);
    }
    const changed = countOutcome(outcome, rows, (j, v, node, d) => this.addWaiting(j, v, node, d));
    for (const k of changed) {
      const row = rows.get(k);
      if (row) await this.store.put(k, row);
    }
  }
}
