/**
 * Writes journey records the bounded way (schemas/config-record.ts): each version's config under its own key
 * `journey/<id>/v/<n>/<config>`, written once, before the `journey/<id>` record that lists it; that record carries
 * only the versions' states, times and config digests. Versions pruned from it (`pruneVersions`, keep the newest
 * `versionsKept`) get a tombstone after it, so compaction removes them. Nothing written grows with the number of
 * saves.
 */
import {
  configKey,
  journeyConfigDigest,
  journeyVersionKey,
  type JourneyRecord,
  type StoredJourneyRecord,
} from '../../schemas/index.js';
import type { ConfigStore } from './config-store.js';
import type { RouteContext } from './context.js';
import { pruneVersions } from './lifecycle.js';

const MAX_REBASES = 5;

type Version = JourneyRecord['versions'][number];

const digestOf = (v: Version): string => v.config ?? journeyConfigDigest(v.journey);
const keyOf = (id: string, v: Version): string => journeyVersionKey(id, v.version, digestOf(v));

function stored(rec: JourneyRecord): StoredJourneyRecord {
  return { ...rec, versions: rec.versions.map(({ journey: _j, ...v }) => v) };
}

/** Tombstones the configs of `versions` not listed (same key) in `kept`. */
async function dropConfigs(
  store: ConfigStore,
  id: string,
  versions: readonly Version[],
  kept: JourneyRecord | undefined,
) {
  const keep = new Set((kept?.versions ?? []).map((v) => keyOf(id, v)));
  for (const v of versions) {
    const key = keyOf(id, v);
    if (!keep.has(key) && store.view.hasVersionKey(id, v.version, digestOf(v)))
      await store.write(key, null, { visible: false });
  }
}

/**
 * Read-modify-write of journey `id` (same rebase rule as `updateRecord`: when another API process wrote the record
 * in between, `change` runs again on theirs). Takes the journey's lock itself.
 */
export function updateJourney(
  ctx: RouteContext,
  id: string,
  change: (cur: JourneyRecord | undefined) => JourneyRecord,
): Promise<JourneyRecord> {
  const key = configKey('journey', id);
  const { store } = ctx;
  return ctx.serialize(key, async () => {
    let base = store.offsetOf(key);
    let cur = store.view.journey(id);
    for (let attempt = 0; ; attempt++) {
      let next: JourneyRecord;
      try {
        next = pruneVersions(change(cur), ctx.versionsKept, ctx.now().toISOString());
      } catch (err) {
        if (attempt > 0) await store.write(key, cur ? stored(cur) : null); // our first write replaced theirs
        throw err;
      }
      next = { ...next, versions: next.versions.map((v) => ({ ...v, config: digestOf(v) })) };
      const written: Version[] = [];
      for (const v of next.versions)
        if (!store.view.hasVersionKey(id, v.version, digestOf(v))) {
          await store.write(keyOf(id, v), v.journey, { visible: false }); // the record after it waits
          written.push(v);
        }
      const r = await store.write(key, stored(next));
      if (r.previousOffset === base || attempt >= MAX_REBASES) {
        await dropConfigs(store, id, cur?.versions ?? [], next);
        return next;
      }
      const theirs = r.previousValue as StoredJourneyRecord | undefined;
      cur = theirs && store.view.withConfigs(theirs);
      await dropConfigs(store, id, written, cur); // ours, for version numbers the other writer took
      base = r.offset;
    }
  });
}
