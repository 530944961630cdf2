import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every `name: 'jo_…'` a module registers through the Metrics interface. */
function registeredNames(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.ts') && !f.endsWith('.test.ts'))
        for (const m of readFileSync(p, 'utf8').matchAll(/name: '(jo_[a-z_]+)'/g)) names.add(m[1] ?? '');
    }
  };
  for (const d of ['topology', 'processors', 'connectors', 'ops']) walk(join(root, d));
  // prom-client's default process metrics, registered with the jo_ prefix
  names.add('jo_process_resident_memory_bytes').add('jo_process_cpu_seconds_total');
  return names;
}

describe('Grafana dashboard', () => {
  it('queries only metrics the engine registers', () => {
    const dash = JSON.parse(readFileSync(join(root, 'ops/grafana-dashboard.json'), 'utf8')) as {
      panels: Array<{ targets: Array<{ expr: string }> }>;
    };
    const used = dash.panels.flatMap((p) =>
      p.targets.flatMap((t) => [...t.expr.matchAll(/\bjo_[a-z_]+/g)].map((m) => m[0])),
    );
    const base = used.map((n) => n.replace(/_(bucket|sum|count)$/, ''));
    expect(base.length).toBeGreaterThan(15);
    const known = registeredNames();
    expect(base.filter((n) => !known.has(n))).toEqual([]);
  });
});
