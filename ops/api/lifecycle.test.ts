import { describe, expect, it } from 'vitest';
import { close, latestDraft, pause, pruneVersions, publish, resume, saveDraft, stop, summary } from './lifecycle.js';
import { type JourneyRecord } from '../../schemas/index.js';
import { configFixtures } from '../../schemas/testing/index.js';

const { cartJourney } = configFixtures;

const T = (n: number) => `2026-01-0${n}T00:00:00.000Z`;
const states = (r: JourneyRecord) => r.versions.map((v) => `${v.version}:${v.state}`);

describe('journey lifecycle', () => {
  it('every save appends a draft; history is kept', () => {
    const r1 = saveDraft(undefined, cartJourney, T(1));
    const r2 = saveDraft(r1, { ...cartJourney, name: 'v2' }, T(2));
    expect(states(r2)).toEqual(['1:draft', '2:draft']);
    expect(r2.versions[0]?.journey).toEqual(cartJourney);
    expect(latestDraft(r2)).toBe(2);
  });

  it('publish makes a draft live and closes the previous live version', () => {
    let r = saveDraft(undefined, cartJourney, T(1));
    r = publish(r, 1, T(2));
    expect(states(r)).toEqual(['1:live']);
    expect(r.versions[0]?.publishedAt).toBe(T(2));
    r = publish(saveDraft(r, cartJourney, T(3)), 2, T(4));
    expect(states(r)).toEqual(['1:closed', '2:live']);
    expect(r.versions[0]?.closedAt).toBe(T(4));
  });

  it('a published version cannot be published again, nor a missing one', () => {
    const r = publish(saveDraft(undefined, cartJourney, T(1)), 1, T(2));
    expect(() => publish(r, 1, T(3))).toThrow(
      expect.objectContaining({ statusCode: 409, code: 'JOURNEY_STATE_CONFLICT' }),
    );
    expect(() => publish(r, 7, T(3))).toThrow(expect.objectContaining({ statusCode: 404 }));
    expect(() => latestDraft(r)).toThrow(expect.objectContaining({ statusCode: 409 }));
  });

  it('close ends new entries of the live version; 409 when nothing is live', () => {
    const r = close(publish(saveDraft(undefined, cartJourney, T(1)), 1, T(2)), undefined, T(3));
    expect(states(r)).toEqual(['1:closed']);
    expect(() => close(r, undefined, T(4))).toThrow(expect.objectContaining({ statusCode: 409 }));
  });

  it('stop ends live and closed versions (or just the named one); drafts stay drafts', () => {
    let r = publish(saveDraft(undefined, cartJourney, T(1)), 1, T(2));
    r = publish(saveDraft(r, cartJourney, T(3)), 2, T(4));
    r = saveDraft(r, cartJourney, T(5));
    expect(states(stop(r, 1, T(6)))).toEqual(['1:stopped', '2:live', '3:draft']);
    const all = stop(r, undefined, T(6));
    expect(states(all)).toEqual(['1:stopped', '2:stopped', '3:draft']);
    expect(all.versions[1]?.stoppedAt).toBe(T(6));
    expect(() => stop(all, undefined, T(7))).toThrow(expect.objectContaining({ statusCode: 409 }));
  });

  it('transitions never change a version’s journey', () => {
    let r = saveDraft(undefined, cartJourney, T(1));
    r = stop(publish(r, 1, T(2)), undefined, T(3));
    expect(r.versions[0]?.journey).toBe(cartJourney);
  });

  it('summary lists versions and the live one', () => {
    const r = publish(saveDraft(saveDraft(undefined, cartJourney, T(1)), cartJourney, T(2)), 1, T(3));
    expect(summary(r)).toEqual({
      id: 'cartRecovery',
      name: 'Cart recovery',
      liveVersion: 1,
      latestVersion: 2,
      paused: false,
      versions: [
        { version: 1, state: 'live' },
        { version: 2, state: 'draft' },
      ],
    });
  });

  it('pause and resume are per journey, need a live or closed version, and keep across saves and transitions', () => {
    const draft = saveDraft(undefined, cartJourney, T(1));
    expect(() => pause(draft, undefined, T(2))).toThrow(/no live or closed version/);
    let r = publish(draft, 1, T(2));
    expect(() => pause(r, 1, T(3))).toThrow(/whole journey/);
    r = pause(r, undefined, T(3));
    expect(r.pausedAt).toBe(T(3));
    expect(summary(r).paused).toBe(true);
    expect(() => pause(r, undefined, T(4))).toThrow(/already paused/);
    r = publish(saveDraft(r, cartJourney, T(4)), 2, T(5));
    expect(r.pausedAt).toBe(T(3));
    r = resume(r, undefined, T(6));
    expect(r.pausedAt).toBeUndefined();
    expect(r.resumedAt).toBe(T(6));
    expect(() => resume(r, undefined, T(7))).toThrow(/not paused/);
    expect(summary(stop(r, undefined, T(8)))).toMatchObject({ paused: false });
  });

  it('pruning keeps the newest N, the live version and closed versions instances may still run on', () => {
    // v1 closed on day 2 (timeout 1 day: expired by day 9); v2 closed on day 3 with the default P30D timeout; v3
    // stopped; v4 live; v5..v9 drafts.
    let r = publish(saveDraft(undefined, { ...cartJourney, timeout: 'P1D' }, T(1)), 1, T(2));
    r = publish(saveDraft(r, cartJourney, T(2)), 2, T(3));
    r = publish(saveDraft(r, cartJourney, T(3)), 3, T(3));
    r = stop(r, 3, T(3));
    r = publish(saveDraft(r, cartJourney, T(4)), 4, T(4));
    for (let i = 5; i <= 9; i++) r = saveDraft(r, cartJourney, T(5));
    expect(states(r)).toEqual([
      '1:closed',
      '2:closed',
      '3:stopped',
      '4:live',
      ...[5, 6, 7, 8, 9].map((n) => `${n}:draft`),
    ]);
    expect(states(pruneVersions(r, 2, T(9)))).toEqual(['2:closed', '4:live', '8:draft', '9:draft']);
    expect(states(pruneVersions(r, 6, T(9)))).toEqual([
      '2:closed',
      '4:live',
      ...[5, 6, 7, 8, 9].map((n) => `${n}:draft`),
    ]);
    expect(pruneVersions(r, 9, T(9))).toBe(r);
  });
});
