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
});
