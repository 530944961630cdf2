/**
 * Builds the engine's view of one journey version (`JourneyDef`) from its config: durations parsed once,
 * per-node data-source needs, the events it reacts to. Used until/unless the journey compiler of schemas/
 * provides the same facts; `fromCompiled` in the processors adapts that output.
 */
import { ALLOWED_OPERATORS, templatePaths, type JourneyConfig, type JourneyState } from '../schemas/index.js';
import { parseDuration } from './duration.js';
import type { JourneyDef } from './journey-model.js';
import { rulePaths } from './rules.js';

export const DEFAULT_JOURNEY_TIMEOUT = 'P30D';
export const DEFAULT_REENTRANCE_WAIT = 'PT5M';

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

/** Paths read by node params: rules through `var`, strings through `{{...}}` templates. */
export function paramPaths(params: Readonly<Record<string, unknown>> | undefined): string[] {
  if (!params) return [];
  return Object.values(params).flatMap((v) =>
    isRule(v) ? rulePaths(v) : typeof v === 'string' ? templatePaths(v) : [],
  );
}

function nodePaths(node: JourneyConfig['nodes'][string]): string[] {
  switch (node.type) {
    case 'condition':
      return node.paths.flatMap((p) => rulePaths(p.when));
    case 'wait':
      return 'until' in node ? rulePaths(node.until) : [];
    case 'event':
      return node.events.flatMap((e) => rulePaths(e.condition ?? null));
    case 'action':
      return paramPaths(node.params);
    default:
      return [];
  }
}

/** The engine's definition of `config` at `version`. Throws RULE_BAD_DURATION on a bad duration. */
export function defineJourney(config: JourneyConfig, version: number, state: JourneyState = 'live'): JourneyDef {
  const durations: Record<string, number> = {};
  const needs: Record<string, readonly string[]> = {
    $entry: datasourcesIn(rulePaths(config.entry.condition ?? null)),
  };
  const events = new Set<string>([config.entry.event]);
  for (const [id, node] of Object.entries(config.nodes)) {
    if (node.type === 'wait' && 'duration' in node) durations[id] = parseDuration(node.duration);
    if (node.type === 'event') {
      if (node.timeout) durations[id] = parseDuration(node.timeout);
      for (const e of node.events) events.add(e.event);
    }
    needs[id] = datasourcesIn(nodePaths(node));
  }
  return {
    id: config.id,
    version,
    state,
    config,
    timezone: config.timezone ?? 'UTC',
    timeoutMs: parseDuration(config.timeout ?? DEFAULT_JOURNEY_TIMEOUT),
    reentrance: {
      allowed: config.reentrance?.allowed ?? true,
      waitPeriodMs: parseDuration(config.reentrance?.waitPeriod ?? DEFAULT_REENTRANCE_WAIT),
    },
    durations,
    needs,
    events: [...events].sort(),
  };
}
