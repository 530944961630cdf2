import { describe, expect, it } from 'vitest';
import { PromMetrics } from './metrics.js';

describe('PromMetrics', () => {
  it('exposes counters, gauges and histograms registered through the Metrics interface', async () => {
    const m = new PromMetrics({ defaultMetrics: false });
    const entries = m.counter({
      name: 'jo_journey_entries_total',
      help: 'entries',
      labelNames: ['journey', 'version'],
    });
    entries.inc({ journey: 'welcome', version: 2 });
    entries.inc({ journey: 'welcome', version: 2 }, 2);
    // A second registration of the same name shares the series.
    m.counter({ name: 'jo_journey_entries_total', help: 'entries', labelNames: ['journey', 'version'] }).inc({
      journey: 'welcome',
      version: 2,
    });
    m.gauge({ name: 'jo_timers_pending', help: 'pending' }).set({}, 7);
    m.histogram({ name: 'jo_timer_lateness_seconds', help: 'lateness' }).observe({}, 0.003);
    const text = await m.text();
    expect(text).toContain('jo_journey_entries_total{journey="welcome",version="2"} 4');
    expect(text).toContain('jo_timers_pending 7');
    expect(text).toContain('jo_timer_lateness_seconds_bucket{le="0.005"} 1');
  });

  it('refuses one name used as two kinds, and includes process metrics by default', async () => {
    const m = new PromMetrics();
    m.counter({ name: 'jo_x_total', help: 'x' });
    expect(() => m.gauge({ name: 'jo_x_total', help: 'x' })).toThrow(/registered as counter/);
    expect(await m.text()).toContain('jo_process_cpu_seconds_total');
  });

  it('shows at each scrape every bump made before it (series kept apart by label values)', async () => {
    const m = new PromMetrics({ defaultMetrics: false });
    const d = m.counter({ name: 'jo_d_total', help: 'd', labelNames: ['reason', 'journey'] });
    const g = m.gauge({ name: 'jo_g', help: 'g', labelNames: ['journey'] });
    d.inc({ reason: 'a', journey: 'j1' });
    d.inc({ reason: 'b', journey: 'j1' }, 3);
    d.inc({ journey: 'j1', reason: 'b' }); // the same series, whatever the order of the keys
    g.set({ journey: 'j1' }, 5);
    g.inc({ journey: 'j1' }, 2);
    g.dec({ journey: 'j2' });
    let text = await m.text();
    expect(text).toContain('jo_d_total{reason="a",journey="j1"} 1');
    expect(text).toContain('jo_d_total{reason="b",journey="j1"} 4');
    expect(text).toContain('jo_g{journey="j1"} 7');
    expect(text).toContain('jo_g{journey="j2"} -1');
    d.inc({ reason: 'a', journey: 'j1' }, 2);
    g.inc({ journey: 'j1' });
    g.set({ journey: 'j2' }, 4);
    text = await m.text();
    expect(text).toContain('jo_d_total{reason="a",journey="j1"} 3');
    expect(text).toContain('jo_g{journey="j1"} 8');
    expect(text).toContain('jo_g{journey="j2"} 4');
    expect(await m.text()).toContain('jo_d_total{reason="a",journey="j1"} 3');
  });

  it('refuses an unknown label name and a negative counter increment when they happen', () => {
    const m = new PromMetrics({ defaultMetrics: false });
    const c = m.counter({ name: 'jo_c_total', help: 'c', labelNames: ['journey'] });
    expect(() => c.inc({ journey: 'j', nope: 1 })).toThrow(/nope/);
    expect(() => c.inc({ journey: 'j' }, -1)).toThrow(/cannot add -1/);
  });

  it("sums other processes' series into its own when it has peers (pipeline workers)", async () => {
    const parent = new PromMetrics({ defaultMetrics: false });
    const worker = new PromMetrics({ defaultMetrics: false });
    const spec = { name: 'jo_events_total', help: 'events', labelNames: ['journey'] };
    parent.counter(spec).inc({ journey: 'a' }, 2);
    worker.counter(spec).inc({ journey: 'a' }, 3);
    worker.counter(spec).inc({ journey: 'b' }, 1);
    const h = { name: 'jo_latency_seconds', help: 'latency', labelNames: ['journey'], buckets: [0.1, 1] };
    parent.histogram(h).observe({ journey: 'a' }, 0.05);
    worker.histogram(h).observe({ journey: 'a' }, 0.5);
    parent.addPeer(async () => [await worker.registry.getMetricsAsJSON()]);
    const text = await parent.text();
    expect(text).toContain('jo_events_total{journey="a"} 5');
    expect(text).toContain('jo_events_total{journey="b"} 1');
    expect(text).toContain('jo_latency_seconds_bucket{le="0.1",journey="a"} 1');
    expect(text).toContain('jo_latency_seconds_bucket{le="1",journey="a"} 2');
    expect(text).toContain('jo_latency_seconds_count{journey="a"} 2');
    // a peer with nothing to give (a worker that did not answer) leaves the process's own series
    const alone = new PromMetrics({ defaultMetrics: false });
    alone.counter(spec).inc({ journey: 'a' });
    alone.addPeer(async () => []);
    expect(await alone.text()).toContain('jo_events_total{journey="a"} 1');
  });
});
