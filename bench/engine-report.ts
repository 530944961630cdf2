/** The engine benchmark's report: rows per case, engine/peer comparisons and the side-by-side table. */
import type { LatencyResult } from './harness.js';
import type { BenchRow } from './types.js';

/** What one system did in one case. */
export interface CaseResult {
  readonly label: string;
  readonly input: string;
  readonly eventsPerS: number;
  readonly cpuUsPerEvent: number;
  readonly recordsPerEvent: number;
  readonly byTopic: string;
  readonly peakRssMb: number;
  readonly latency: Map<number, RateResult>;
}

/** A rate's latency, with the machine's 1-minute load average before → after it (2 cores shared with other work). */
export type RateResult = LatencyResult & { readonly load: string };

/** The rows of a case run without the peer. */
export function engineRows(e: CaseResult): BenchRow[] {
  return [
    { metric: `events/s: ${e.label}`, value: e.eventsPerS, unit: 'events/s' },
    { metric: `CPU per event: ${e.label}`, value: e.cpuUsPerEvent, unit: 'µs' },
    { metric: `records written per event: ${e.label}`, value: e.recordsPerEvent, unit: 'records', note: e.byTopic },
    ...[...e.latency].flatMap(([rate, l]) => [
      { metric: `p50 event→command at ${rate}/s: ${e.label}`, value: l.p50, unit: 'ms', note: `load ${l.load}` },
      { metric: `p99 event→command at ${rate}/s: ${e.label}`, value: l.p99, unit: 'ms' },
    ]),
    { metric: `peak RSS: ${e.label}`, value: e.peakRssMb, unit: 'MB' },
  ];
}

/** A case's rows for the engine and the peer, each metric followed by the engine/peer ratio. */
export function compareRows(engine: CaseResult, peer: CaseResult, targets: Record<string, string>): BenchRow[] {
  const rows: BenchRow[] = [];
  const pair = (metric: string, unit: string, e: number, p: number, target?: string, note?: string) => {
    rows.push({ metric: `${metric}: ${engine.label}`, value: e, unit, ...(note ? { note } : {}) });
    rows.push({ metric: `${metric}: ${peer.label}`, value: p, unit });
    rows.push({ metric: `${metric}: engine / peer`, value: e / p, unit: '×', ...(target ? { target } : {}) });
  };
  pair('events/s', 'events/s', engine.eventsPerS, peer.eventsPerS, targets['eventsPerS']);
  pair('CPU per event', 'µs', engine.cpuUsPerEvent, peer.cpuUsPerEvent, targets['cpu']);
  pair('records written per event', 'records', engine.recordsPerEvent, peer.recordsPerEvent, undefined, engine.byTopic);
  for (const [rate, el] of engine.latency) {
    const pl = peer.latency.get(rate);
    if (!pl) continue;
    const note = (l: RateResult) =>
      `${l.seen} of ${l.sent} commands, offered ${l.offered.toFixed(0)}/s, drained ${l.drainMs.toFixed(0)} ms after ` +
      `the last event, load ${l.load}`;
    rows.push({ metric: `p50 event→command at ${rate}/s: ${engine.label}`, value: el.p50, unit: 'ms', note: note(el) });
    rows.push({ metric: `p50 event→command at ${rate}/s: ${peer.label}`, value: pl.p50, unit: 'ms', note: note(pl) });
    rows.push({
      metric: `p99 event→command at ${rate}/s: ${engine.label}`,
      value: el.p99,
      unit: 'ms',
      ...(targets[`p99@${rate}`] ? { target: targets[`p99@${rate}`] } : {}),
    });
    rows.push({ metric: `p99 event→command at ${rate}/s: ${peer.label}`, value: pl.p99, unit: 'ms' });
  }
  pair('peak RSS', 'MB', engine.peakRssMb, peer.peakRssMb);
  return rows;
}

/** The side-by-side view of both cases (stdout), besides the rows. */
export function sideBySide(cases: Array<[CaseResult, CaseResult]>, rates: readonly number[]): string {
  const fmt = (v: number) => (Number.isNaN(v) ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(2));
  const metrics: Array<[string, (c: CaseResult) => number]> = [
    ['events/s', (c) => c.eventsPerS],
    ['CPU µs/event', (c) => c.cpuUsPerEvent],
    ['records written/event', (c) => c.recordsPerEvent],
    ...rates.flatMap((r): Array<[string, (c: CaseResult) => number]> => [
      [`p50 ms at ${r}/s`, (c) => c.latency.get(r)?.p50 ?? NaN],
      [`p99 ms at ${r}/s`, (c) => c.latency.get(r)?.p99 ?? NaN],
    ]),
    ['peak RSS MB', (c) => c.peakRssMb],
  ];
  const head = ['', ...cases.flatMap(([e, p]) => [e.label, p.label, 'engine/peer'])];
  const body = metrics.map(([name, f]) => [
    name,
    ...cases.flatMap(([e, p]) => [fmt(f(e)), fmt(f(p)), fmt(f(e) / f(p))]),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => c.padStart(i === 0 ? 0 : (widths[i] ?? 0)).padEnd(i === 0 ? (widths[0] ?? 0) : 0)).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}
