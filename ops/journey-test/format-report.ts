/**
 * Text renderings for the terminal: a test report's trail per profile, and per-node tables (test and replay).
 * Plain text, fixed columns, no colours — the output of a CI job should read well in its log.
 */
import type { JourneyTestReport, TrailStep } from '../../processors/index.js';

/** Renders rows as columns padded to the widest cell; numbers are right-aligned. */
export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string[] {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  return cells.map((r) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

function causeText(s: TrailStep): string {
  const c = s.cause;
  if (c.type === 'event') return `event #${c.event}`;
  if (c.type === 'result') return `result of ${c.action}`;
  return c.type;
}

/** One block per profile: its steps with simulated times and what caused each, then its command count. */
export function trailLines(r: JourneyTestReport): string[] {
  const out: string[] = [];
  for (const [key, p] of Object.entries(r.profiles)) {
    out.push(`${key}${p.commands > 0 ? `  (${p.commands} command${p.commands === 1 ? '' : 's'})` : ''}`);
    if (p.trail.length === 0) out.push('  (no steps)');
    const rows = p.trail.map((s) => [
      when(s.timestamp),
      s.nodeId,
      s.status + (s.reason ? ` (${s.reason})` : ''),
      causeText(s),
    ]);
    if (rows.length > 0)
      out.push(
        ...table(['time', 'node', 'status', 'cause'], rows)
          .slice(1)
          .map((l) => `  ${l}`),
      );
    out.push('');
  }
  return out;
}

const STATUS_ORDER = ['entered', 'transitioned', 'goal', 'ended', 'timedout', 'error', 'discarded'];

/** Per-node counts as a table: one row per node, one column per step status that occurred. */
export function nodeTable(
  nodes: Readonly<Record<string, Readonly<Record<string, number>>>>,
  types: Readonly<Record<string, string>> = {},
): string[] {
  const present = new Set(Object.values(nodes).flatMap((c) => Object.keys(c)));
  const statuses = [
    ...STATUS_ORDER.filter((s) => present.has(s)),
    ...[...present].filter((s) => !STATUS_ORDER.includes(s)).sort(),
  ];
  const rows = Object.entries(nodes).map(([id, c]) => [id, types[id] ?? '', ...statuses.map((s) => c[s] ?? 0)]);
  return table(['node', 'type', ...statuses], rows);
}
