/**
 * Serde of the profile state store (`STORES.instances`, one record per profile holding its journeys): JSON, written
 * on every change of any of the profile's instances, so its size is paid on every event (serialize, RocksDB write,
 * changelog record, and a parse on the next read).
 *
 * An instance's `lastEvent` (the event that last moved it) is nearly always the very object also held in its
 * `events[<eventConfigId>]` (the journey machine records an accepted event in both). Plain JSON wrote that event —
 * the largest part of the state, ~1 KB for a typical XDM event — twice. Here it is written once: an instance whose
 * `lastEvent` is that same object is written with `lastEventOf: "<eventConfigId>"` instead, and read back with
 * `lastEvent` pointing at the `events` entry again (so the next write finds the same object). Anything else (a
 * `lastEvent` that is another event, no `lastEvent`) is written as it is, and records written before this serde
 * (full `lastEvent`) read unchanged.
 */
import type { Serde } from '../../topology/index.js';
import type { InstanceState, ProfileJourney } from './journey-model.js';
import type { ProfileState } from './journey-engine.js';

/** The stored form of an instance whose `lastEvent` is one of its `events`. */
type StoredInstance = Omit<InstanceState, 'lastEvent'> & {
  lastEvent?: InstanceState['lastEvent'];
  lastEventOf?: string;
};

/** The state as written: instances whose `lastEvent` is an `events` entry point at it by config id. */
function compact(state: ProfileState): ProfileState {
  let journeys: Record<string, ProfileJourney> | undefined;
  for (const [id, pj] of Object.entries(state.journeys)) {
    const inst = pj.instance;
    const last = inst?.lastEvent;
    if (!inst || !last || inst.events[last.eventConfigId] !== last) continue;
    journeys ??= { ...state.journeys };
    // undefined is left out by JSON.stringify (a spread + overwrite keeps the object's shape; a rest pattern is slower)
    const stored: StoredInstance = { ...inst, lastEvent: undefined, lastEventOf: last.eventConfigId };
    journeys[id] = { ...pj, instance: stored };
  }
  return journeys ? { ...state, journeys } : state;
}

/** Back from the stored form: `lastEventOf` becomes `lastEvent`, the same object as the `events` entry. */
function expand(state: ProfileState): ProfileState {
  for (const pj of Object.values(state.journeys ?? {})) {
    const inst: StoredInstance | undefined = pj.instance;
    if (inst?.lastEventOf === undefined) continue;
    const last = inst.events[inst.lastEventOf];
    if (last) inst.lastEvent = last;
    // not `delete`: that would turn the object into a slow dictionary (every later read and write of it pays)
    inst.lastEventOf = undefined;
  }
  return state;
}

export const profileStateSerde: Serde<ProfileState> = {
  serialize: (state) => Buffer.from(JSON.stringify(compact(state))),
  deserialize: (bytes) => expand(JSON.parse(bytes.toString('utf8')) as ProfileState),
};
