/**
 * Records of `jo.config` (PRODUCT.md → Topics): key `<kind>/<id>`, value the JSON resource (events, data
 * sources, actions) or a `JourneyRecord` (journeys: every version's state; null deletes). A journey version's
 * config is stored under its own key `journey/<id>/v/<version>/<config>` (`config`: 16 hex digits of the config's
 * SHA-256, so two API processes saving the same version number at once never overwrite each other's config;
 * written before the `journey/<id>` record that lists it, tombstoned after the version is pruned from it), so no record grows with the number of saves. A
 * version entry that carries its `journey` inline (records written before per-version keys) is still read.
 */
import { createHash } from 'node:crypto';
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
      /** Absent when the config is under `journey/<id>/v/<version>/<config>`. */
      journey: Type.Optional(Type.Unknown()),
      /** Digest naming the key of the version's config (see above). */
      config: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$' })),
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

/** Record key of one journey version's config: `journey/<id>/v/<version>/<config>`. */
export function journeyVersionKey(id: string, version: number, config: string): string {
  return `journey/${id}/v/${version}/${config}`;
}

/** The `config` digest of a journey version: 16 hex digits of the SHA-256 of its JSON. */
export function journeyConfigDigest(journey: unknown): string {
  return createHash('sha256').update(JSON.stringify(journey)).digest('hex').slice(0, 16);
}

const VERSION_KEY = /^journey\/([^/]+)\/v\/([1-9]\d{0,8})\/([0-9a-f]{16})$/;

/**
 * Splits a record key; `undefined` for a key of an unknown kind or malformed id. A journey version's key
 * (`journey/<id>/v/<n>`) comes back with its `version`.
 */
export function parseConfigKey(
  key: string,
): { kind: ResourceKind; id: string; version?: number; config?: string } | undefined {
  const v = VERSION_KEY.exec(key);
  if (v?.[1] !== undefined && ID_RE.test(v[1]))
    return { kind: 'journey', id: v[1], version: Number(v[2]), config: String(v[3]) };
  const slash = key.indexOf('/');
  const kind = key.slice(0, slash) as ResourceKind;
  const id = key.slice(slash + 1);
  if (slash < 0 || !ResourceKinds.includes(kind) || !ID_RE.test(id)) return undefined;
  return { kind, id };
}
