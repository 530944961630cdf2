/**
 * Journey version lifecycle, as pure transitions of a `JourneyRecord` (what `jo.config` holds under
 * `journey/<id>`). Every save appends a draft; publish makes one draft live and closes the previous live version;
 * close ends new entries; stop ends running instances too. A version's `journey` never changes once written. Old
 * versions that can have no running instance are pruned (`pruneVersions`), so the record stays bounded.
 */
import {
  DEFAULT_JOURNEY_TIMEOUT,
  parseDurationMs,
  type JourneyConfig,
  type JourneyRecord,
  type JourneyState,
} from '../../schemas/index.js';
import { ApiError, conflict, notFound } from './errors.js';

type Version = JourneyRecord['versions'][number];

function replace(rec: JourneyRecord, changed: readonly Version[]): JourneyRecord {
  const byVersion = new Map(changed.map((v) => [v.version, v]));
  return { ...rec, versions: rec.versions.map((v) => byVersion.get(v.version) ?? v) };
}

function pick(rec: JourneyRecord, version: number): Version {
  const v = rec.versions.find((x) => x.version === version);
  if (!v) throw notFound(`version ${version} of journey "${rec.id}"`);
  return v;
}

/** Appends `journey` as a new draft version (1 for a new journey). */
export function saveDraft(rec: JourneyRecord | undefined, journey: JourneyConfig, now: string): JourneyRecord {
  const versions = rec?.versions ?? [];
  const version = versions.reduce((m, v) => Math.max(m, v.version), 0) + 1;
  return { ...rec, id: journey.id, versions: [...versions, { version, state: 'draft', createdAt: now, journey }] };
}

/** The version `publish` takes when none is named: the newest draft. */
export function latestDraft(rec: JourneyRecord): number {
  const drafts = rec.versions.filter((v) => v.state === 'draft');
  if (drafts.length === 0)
    throw conflict('JOURNEY_STATE_CONFLICT', `journey "${rec.id}" has no draft version to publish`);
  return Math.max(...drafts.map((v) => v.version));
}

/** Makes a draft live; the previously live version (if any) is closed to new entries at the same instant. */
export function publish(rec: JourneyRecord, version: number, now: string): JourneyRecord {
  const target = pick(rec, version);
  if (target.state !== 'draft')
    throw conflict('JOURNEY_STATE_CONFLICT', `version ${version} is ${target.state}; only a draft can be published`);
  const closing = rec.versions
    .filter((v) => v.state === 'live')
    .map((v) => ({ ...v, state: 'closed' as const, closedAt: now }));
  return replace(rec, [...closing, { ...target, state: 'live', publishedAt: now }]);
}

/** Closes the live version (or the named one, which must be live): running instances finish, nobody new enters. */
export function close(rec: JourneyRecord, version: number | undefined, now: string): JourneyRecord {
  const live = rec.versions.filter((v) => v.state === 'live' && (version === undefined || v.version === version));
  if (version !== undefined) pick(rec, version);
  if (live.length === 0) throw conflict('JOURNEY_STATE_CONFLICT', `journey "${rec.id}" has no live version to close`);
  return replace(
    rec,
    live.map((v) => ({ ...v, state: 'closed', closedAt: now })),
  );
}

const STOPPABLE: ReadonlySet<JourneyState> = new Set(['live', 'closed']);

/** Stops the named version, or every live and closed one: their running instances end (`journeyStopped`). */
export function stop(rec: JourneyRecord, version: number | undefined, now: string): JourneyRecord {
  if (version !== undefined) pick(rec, version);
  const targets = rec.versions.filter(
    (v) => STOPPABLE.has(v.state) && (version === undefined || v.version === version),
  );
  if (targets.length === 0)
    throw conflict('JOURNEY_STATE_CONFLICT', `journey "${rec.id}" has no live or closed version to stop`);
  return replace(
    rec,
    targets.map((v) => ({ ...v, state: 'stopped', stoppedAt: now })),
  );
}

/**
 * Pauses the journey: nobody enters (`journeyPaused`) and running instances halt at their next node until resumed;
 * events for them are queued within the pending-event limit. The version argument is refused: a pause is per journey.
 */
export function pause(rec: JourneyRecord, version: number | undefined, now: string): JourneyRecord {
  if (version !== undefined)
    throw conflict('JOURNEY_STATE_CONFLICT', 'pause applies to the whole journey, not a version');
  if (rec.pausedAt !== undefined) throw conflict('JOURNEY_STATE_CONFLICT', `journey "${rec.id}" is already paused`);
  if (!rec.versions.some((v) => v.state === 'live' || v.state === 'closed'))
    throw conflict('JOURNEY_STATE_CONFLICT', `journey "${rec.id}" has no live or closed version to pause`);
  return { ...rec, pausedAt: now };
}

/** Resumes a paused journey: entries are admitted again and halted instances go on from where they stopped. */
export function resume(rec: JourneyRecord, version: number | undefined, now: string): JourneyRecord {
  if (version !== undefined)
    throw conflict('JOURNEY_STATE_CONFLICT', 'resume applies to the whole journey, not a version');
  if (rec.pausedAt === undefined) throw conflict('JOURNEY_STATE_CONFLICT', `journey "${rec.id}" is not paused`);
  const { pausedAt: _paused, ...rest } = rec;
  return { ...rest, resumedAt: now };
}

/**
 * Drops versions outside the newest `keep` that no instance can be running on: drafts and stopped versions, and
 * closed versions whose journey timeout has passed since they closed (every instance has ended by then). The live
 * version is always kept, whatever its age.
 */
export function pruneVersions(rec: JourneyRecord, keep: number, now: string): JourneyRecord {
  if (rec.versions.length <= keep) return rec;
  const newest = new Set(
    rec.versions
      .map((v) => v.version)
      .sort((a, b) => b - a)
      .slice(0, keep),
  );
  const nowMs = Date.parse(now);
  const canRun = (v: Version): boolean => {
    if (v.state === 'live') return true;
    if (v.state !== 'closed') return false;
    const timeout = parseDurationMs(v.journey.timeout ?? DEFAULT_JOURNEY_TIMEOUT) ?? Infinity;
    const closed = v.closedAt === undefined ? NaN : Date.parse(v.closedAt);
    return !(closed + timeout < nowMs); // no (valid) closedAt: keep
  };
  const versions = rec.versions.filter((v) => newest.has(v.version) || canRun(v));
  return versions.length === rec.versions.length ? rec : { ...rec, versions };
}

/** A compact listing entry for `GET /v1/journeys`. */
export function summary(rec: JourneyRecord) {
  const latest = rec.versions[rec.versions.length - 1];
  return {
    id: rec.id,
    name: latest?.journey.name ?? rec.id,
    liveVersion: rec.versions.find((v) => v.state === 'live')?.version ?? null,
    latestVersion: latest?.version ?? null,
    paused: rec.pausedAt !== undefined,
    versions: rec.versions.map((v) => ({ version: v.version, state: v.state })),
  };
}

export { ApiError };
