import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PromMetrics } from './metrics.js';
import {
  allMetrics,
  duplicateMetrics,
  METRIC_CATALOGUES,
  metricsMarkdown,
  PROCESS_METRIC_PREFIXES,
} from './metric-catalogue.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (f.endsWith('.ts') && !f.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

describe('metric catalogue', () => {
  it('lists each metric once, with a jo_ name, a help text and a kind', () => {
    expect(duplicateMetrics()).toEqual([]);
    const all = allMetrics();
    expect(all.length).toBeGreaterThan(35);
    for (const m of all) {
      expect(m.name).toMatch(/^jo_[a-z_]+$/);
      expect(m.help.length).toBeGreaterThan(10);
      if (m.kind === 'counter') expect(m.name).toMatch(/_total$/);
    }
    expect(duplicateMetrics([...METRIC_CATALOGUES, { folder: 'x', metrics: { a: all[0]! } }])).toEqual([all[0]!.name]);
  });

  it('is what the code registers: no metric spec is written outside a catalogue file', () => {
    const outside = ['topology', 'processors', 'connectors', 'ops']
      .flatMap((d) => sources(join(root, d)))
      .filter((f) => !f.endsWith('metric-catalogue.ts'))
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/name: ['"`](jo_[a-z_]+)/g)].map((m) => `${f}: ${m[1]}`));
    expect(outside).toEqual([]);
  });

  it('registers in prom-client as listed (one kind and one label set per name)', async () => {
    const m = new PromMetrics({ defaultMetrics: false });
    for (const spec of allMetrics()) m[spec.kind](spec);
    const text = await m.text();
    for (const spec of allMetrics()) expect(text).toContain(`# TYPE ${spec.name} ${spec.kind}`);
  });

  it('renders docs/metrics.md with every metric (the page is checked against it in error-catalogue.test.ts)', () => {
    const page = metricsMarkdown();
    for (const m of allMetrics()) expect(page).toContain(`| \`${m.name}\` | ${m.kind} |`);
    expect(PROCESS_METRIC_PREFIXES.every((p) => page.includes(p.replace(/_$/, '_*')))).toBe(true);
  });

  it('covers every metric the Grafana dashboard queries', () => {
    const dash = JSON.parse(readFileSync(join(root, 'ops/grafana-dashboard.json'), 'utf8')) as {
      panels: Array<{ targets: Array<{ expr: string }> }>;
    };
    const used = dash.panels.flatMap((p) =>
      p.targets.flatMap((t) =>
        [...t.expr.matchAll(/\bjo_[a-z_]+/g)].map((x) => x[0].replace(/_(bucket|sum|count)$/, '')),
      ),
    );
    expect(used.length).toBeGreaterThan(15);
    const known = new Set(allMetrics().map((m) => m.name));
    expect(used.filter((n) => !known.has(n) && !PROCESS_METRIC_PREFIXES.some((p) => n.startsWith(p)))).toEqual([]);
  });
});
