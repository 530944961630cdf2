/**
 * Records of `jo.config` (PRODUCT.md → Topics): key `<kind>/<id>`, value the JSON resource (events, data
 * sources, actions) or a `JourneyRecord` (journeys, every version with its state); null deletes.
 */
import { Type } from '@sinclair/typebox';
import { ID_PATTERN, Id } from './common.js';
import { JourneyStates, ResourceKinds, type ResourceKind } from './resources.js';

/** Shape of a `journey/<id>` value. Each version's `journey` is checked by the compiler, not here. */
export const JourneyRecordSchema = Type.Object({
  id: Id,
  versions: Type.Array(
    Type.Object({
      version: Type.Integer({ minimum: 1 }),
      state: Type.Union(JourneyStates.map((s) => Type.Literal(s))),
      createdAt: Type.String(),
      publishedAt: Type.Optional(Type.String()),
      closedAt: Type.Optional(Type.String()),
      stoppedAt: Type.Optional(Type.String()),
      journey: Type.Unknown(),
    }),
  ),
  /** Set while the journey is paused (`POST /v1/journeys/:id/pause`). */
  pausedAt: Type.Optional(Type.String()),
  /** Set by the last resume; the engine continues the instances the pause halted once per resume. */
  resumedAt: Type.Optional(Type.String()),
});

const ID_RE = new RegExp(ID_PATTERN);

/** Record key of a resource: `<kind>/<id>`. */
export function configKey(kind: ResourceKind, id: string): string {
  return `${kind}/${id}`;
}

/** Splits a record key; `undefined` for a key of an unknown kind or malformed id. */
export function parseConfigKey(key: string): { kind: ResourceKind; id: string } | undefined {
  const slash = key.indexOf('/');
  const kind = key.slice(0, slash) as ResourceKind;
  const id = key.slice(slash + 1);
  if (slash < 0 || !ResourceKinds.includes(kind) || !ID_RE.test(id)) return undefined;
  return { kind, id };
}
