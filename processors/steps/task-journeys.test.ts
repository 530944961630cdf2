import { describe, expect, it } from 'vitest';
import { ConfigView } from '../../schemas/index.js';
import { SystemTimer } from '../../topology/index.js';
import { datasourceLoader } from './task-journeys.js';

function view(): ConfigView {
  const v = new ConfigView();
  for (const [id, timeoutMs] of [
    ['slow', 100],
    ['quick', 1000],
  ] as const) {
    const r = v.apply(
      `datasource/${id}`,
      JSON.stringify({ id, type: 'http', url: `http://127.0.0.1:9/${id}`, method: 'GET', timeoutMs }),
    );
    expect(r.ok).toBe(true);
  }
  return v;
}

describe('datasourceLoader', () => {
  const scope = { profileKey: 'email:a', profile: { tier: 'gold' } };

  it('fetches the asked data sources in parallel and serves `profile` from the profile store', async () => {
    const asked: unknown[] = [];
    const load = datasourceLoader(
      view(),
      async (ds, data) => {
        asked.push([ds.id, data]);
        return { from: ds.id };
      },
      new SystemTimer(),
      { defaultTimeoutMs: 5_000, graceMs: 50 },
    );
    expect(await load(['quick', 'profile'], scope)).toEqual({ quick: { from: 'quick' }, profile: { tier: 'gold' } });
    expect(asked).toEqual([['quick', { profile: { tier: 'gold' }, profileKey: 'email:a', event: null }]]);
  });

  it('gives up on a fetcher that hangs past the data source timeout plus grace', async () => {
    const load = datasourceLoader(view(), () => new Promise(() => undefined), new SystemTimer(), {
      defaultTimeoutMs: 5_000,
      graceMs: 50,
    });
    await expect(load(['slow'], scope)).rejects.toThrow('data source "slow" did not answer within 150 ms');
  });

  it('rejects unknown data sources and a missing fetcher', async () => {
    const timer = new SystemTimer();
    const bounds = { defaultTimeoutMs: 5_000, graceMs: 50 };
    await expect(datasourceLoader(view(), async () => 1, timer, bounds)(['nope'], scope)).rejects.toThrow(
      'not configured',
    );
    await expect(datasourceLoader(view(), undefined, timer, bounds)(['quick'], scope)).rejects.toThrow(
      'no data-source fetcher',
    );
  });
});
