/**
 * The engine's view of one journey version (`JourneyDef`), adapted from the compiler's `CompiledJourney`
 * (schemas/journey-compiler.ts): durations parsed once, per-node data-source needs, the events it reacts to.
 */
import {
  ALLOWED_OPERATORS,
  compileJourney,
  type CompiledJourney,
  type JourneyConfig,
  type JourneyRefs,
  type JourneyState,
} from '../../schemas/index.js';
import { processorCodes } from '../codes.js';
import type { JourneyDef } from './journey-model.js';

/** True when `value` looks like a json-logic rule (one key that is an allowed operator). */
export function isRule(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && ALLOWED_OPERATORS.has(keys[0] ?? '');
}

/** Data-source ids read by the given `datasources.<id>...` paths. */
export function datasourcesIn(paths: readonly string[]): string[] {
  const ids = new Set<string>();
  for (const p of paths) {
    const [root, id] = p.split('.');
    if (root === 'datasources' && id) ids.add(id);
  }
  return [...ids].sort();
}

const defs = new WeakMap<CompiledJourney, Map<JourneyState, JourneyDef>>();

/** Adapts a compiled journey version in `state` (memoized per compiled object, which the ConfigView caches). */
export function fromCompiled(c: CompiledJourney, state: JourneyState): JourneyDef {
  let byState = defs.get(c);
  if (!byState) defs.set(c, (byState = new Map<JourneyState, JourneyDef>()));
  const hit = byState.get(state);
  if (hit) return hit;
  const durations: Record<string, number> = {};
  const needs: Record<string, readonly string[]> = {
    $entry: c.entryDatasources,
    $exit: c.exitDatasources,
    $goal: c.goalDatasources,
  };
  for (const [id, n] of Object.entries(c.nodes)) {
    const ms = n.durationMs ?? n.timeoutMs;
    if (ms !== undefined) durations[id] = ms;
    needs[id] = n.datasources;
  }
  const def: JourneyDef = {
    id: c.id,
    version: c.version,
    state,
    config: c.journey,
    timezone: c.timezone,
    timeoutMs: c.timeoutMs,
    reentrance: c.reentrance,
    durations,
    needs,
    events: [
      ...new Set([
        ...(c.entryEvent !== undefined ? [c.entryEvent] : []),
        ...Object.keys(c.waitingOn),
        ...c.exitEvents,
        ...(c.goalEvent ? [c.goalEvent] : []),
      ]),
    ].sort(),
  };
  byState.set(state, def);
  return def;
}

/** Compiles `config` and adapts it; throws `JOURNEY_INVALID` listing the compiler's problems. */
export function defineJourney(
  config: JourneyConfig,
  version: number,
  state: JourneyState = 'live',
  refs: JourneyRefs | null = null,
): JourneyDef {
  const r = compileJourney(config, refs, { version });
  if (!r.ok)
    throw processorCodes.error(
      'JOURNEY_INVALID',
      `journey ${config.id}: ${r.errors.map((e) => `${e.pointer} ${e.code}`).join(', ')}`,
    );
  return fromCompiled(r.compiled, state);
}
