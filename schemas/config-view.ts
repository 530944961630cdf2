/**
 * ConfigView: the in-memory materialization of `jo.config`. Whoever consumes the topic (the engine's global
 * store, the REST API) feeds every record to `apply` in offset order; the view answers lookups by id, the live
 * journeys entered by an event, and compiled versions for running instances. Pure: no I/O, no clock.
 */
import type {
  ActionConfig,
  CapConfig,
  JourneyConfig,
  DataSourceConfig,
  EventConfig,
  JourneyRecord,
  JourneyState,
  ResourceKind,
} from './resources.js';
import { compileJourney, type CompileOptions, type CompiledJourney, type JourneyRefs } from './journey-compiler.js';
import { JourneyRecordSchema, parseConfigKey } from './config-record.js';
import { schemaProblems, type ConfigProblem } from './problems.js';
import { resourceValidators } from './resource-validation.js';

/** What one applied record changed. */
export interface ApplyResult {
  readonly key: string;
  readonly kind?: ResourceKind;
  readonly id?: string;
  /** False when the record was ignored (bad key, bad JSON, invalid resource); the view keeps the previous value. */
  readonly ok: boolean;
  readonly problems: readonly ConfigProblem[];
  readonly deleted: boolean;
  /** Journey versions that became `stopped` with this record: the engine ends their running instances. */
  readonly stoppedVersions: readonly number[];
}

type Resource = EventConfig | DataSourceConfig | ActionConfig | CapConfig;

/** A `journey/<id>` record as stored: a version's `journey` is absent when it is under its own key. */
export type StoredJourneyRecord = Omit<JourneyRecord, 'versions'> & {
  readonly versions: ReadonlyArray<Omit<JourneyRecord['versions'][number], 'journey'> & { journey?: JourneyConfig }>;
};
type JourneyVersion = JourneyRecord['versions'][number];

export interface ConfigViewOptions {
  readonly compile?: CompileOptions;
}

function parse(value: Buffer | string): { ok: true; value: unknown } | { ok: false; problem: ConfigProblem } {
  try {
    return { ok: true, value: JSON.parse(typeof value === 'string' ? value : value.toString('utf8')) as unknown };
  } catch (err) {
    return { ok: false, problem: { pointer: '', code: 'CONFIG_RECORD_INVALID', message: `not JSON: ${String(err)}` } };
  }
}

/** See the module comment. Not thread-safe by design: one consumer feeds it. */
export class ConfigView implements JourneyRefs {
  private readonly resources: Record<Exclude<ResourceKind, 'journey'>, Map<string, Resource>> = {
    event: new Map(),
    datasource: new Map(),
    action: new Map(),
    cap: new Map(),
  };
  /** `journey/<id>` as written (version entries may lack their config). */
  private readonly journeyHeads = new Map<string, StoredJourneyRecord>();
  /** `journey/<id>/v/<n>/<config>`: version configs under their own keys, by `<n>/<config>`. */
  private readonly versionBodies = new Map<string, Map<string, JourneyConfig>>();
  /** Heads with every version's config filled in (versions whose config is missing left out). */
  private readonly journeyRecords = new Map<string, JourneyRecord>();
  private readonly compiledCache = new Map<string, CompiledJourney | null>();
  private entryIndex: Map<string, CompiledJourney[]> | undefined;
  private revisionCount = 0;
  private capList: { readonly revision: number; readonly caps: readonly CapConfig[] } = { revision: -1, caps: [] };

  constructor(private readonly opts: ConfigViewOptions = {}) {}

  /** Number of records applied so far (ignored ones included). */
  get revision(): number {
    return this.revisionCount;
  }

  /** Applies one `jo.config` record (`null` value = delete). Never throws on bad input: see `ApplyResult`. */
  apply(key: string, value: Buffer | string | null): ApplyResult {
    this.revisionCount++;
    const parsed = parseConfigKey(key);
    const fail = (problems: ConfigProblem[]): ApplyResult => ({
      key,
      ...parsed,
      ok: false,
      problems,
      deleted: false,
      stoppedVersions: [],
    });
    if (!parsed) return fail([{ pointer: '', code: 'CONFIG_KEY_INVALID', message: `bad record key "${key}"` }]);
    const { kind, id } = parsed;
    const json = value === null ? undefined : parse(value);
    if (json && !json.ok) return fail([json.problem]);
    const next = json?.value;
    if (kind === 'journey' && parsed.version !== undefined)
      return this.applyVersionBody(key, id, `${parsed.version}/${parsed.config}`, next);
    if (kind === 'journey') return this.applyJourney(key, id, next);
    if (next === undefined) {
      this.resources[kind].delete(id);
    } else {
      const problems = resourceValidators[kind](next);
      const idOk = (next as { id?: unknown }).id === id;
      if (!idOk) problems.push({ pointer: '/id', code: 'ID_MISMATCH', message: `id must equal the key's id "${id}"` });
      if (problems.length > 0) return fail(problems);
      this.resources[kind].set(id, next as Resource);
    }
    this.invalidate();
    return { key, kind, id, ok: true, problems: [], deleted: next === undefined, stoppedVersions: [] };
  }

  private applyJourney(key: string, id: string, next: unknown): ApplyResult {
    const prev = this.journeyHeads.get(id);
    const base = { key, kind: 'journey' as const, id };
    if (next !== undefined) {
      const problems = schemaProblems(JourneyRecordSchema, next);
      if ((next as { id?: unknown }).id !== id)
        problems.push({ pointer: '/id', code: 'ID_MISMATCH', message: `id must equal the key's id "${id}"` });
      if (problems.length > 0) return { ...base, ok: false, problems, deleted: false, stoppedVersions: [] };
    }
    const rec = next as StoredJourneyRecord | undefined;
    if (rec) this.journeyHeads.set(id, rec);
    else this.journeyHeads.delete(id);
    this.rehydrate(id);
    const wasStopped = new Set(prev?.versions.filter((v) => v.state === 'stopped').map((v) => v.version));
    const stoppedVersions = (rec?.versions ?? [])
      .filter((v) => v.state === 'stopped' && !wasStopped.has(v.version))
      .map((v) => v.version);
    return { ...base, ok: true, problems: [], deleted: rec === undefined, stoppedVersions };
  }

  /** A version's config under `journey/<id>/v/<n>/<config>` (null deletes it: the version was pruned). */
  private applyVersionBody(key: string, id: string, version: string, next: unknown): ApplyResult {
    const base = { key, kind: 'journey' as const, id, stoppedVersions: [] };
    if (next !== undefined && (next === null || typeof next !== 'object' || (next as { id?: unknown }).id !== id)) {
      const problem: ConfigProblem = {
        pointer: '/id',
        code: 'ID_MISMATCH',
        message: `a journey version must be a journey "${id}"`,
      };
      return { ...base, ok: false, problems: [problem], deleted: false };
    }
    let bodies = this.versionBodies.get(id);
    if (next !== undefined) {
      if (!bodies) this.versionBodies.set(id, (bodies = new Map<string, JourneyConfig>()));
      bodies.set(version, next as JourneyConfig);
    } else {
      bodies?.delete(version);
      if (bodies?.size === 0) this.versionBodies.delete(id);
    }
    this.rehydrate(id);
    return { ...base, ok: true, problems: [], deleted: next === undefined };
  }

  /** Rebuilds the full record of journey `id` from its head and version configs; drops its compiled versions. */
  private rehydrate(id: string): void {
    const head = this.journeyHeads.get(id);
    if (head) this.journeyRecords.set(id, this.withConfigs(head));
    else this.journeyRecords.delete(id);
    for (const k of [...this.compiledCache.keys()]) if (k.startsWith(`${id}@`)) this.compiledCache.delete(k);
    this.entryIndex = undefined;
  }

  /** `head` with each version's config filled in from its own key (versions whose config is missing left out). */
  withConfigs(head: StoredJourneyRecord): JourneyRecord {
    const bodies = this.versionBodies.get(head.id);
    const versions: JourneyVersion[] = [];
    for (const v of head.versions) {
      const journey = v.journey ?? (v.config === undefined ? undefined : bodies?.get(`${v.version}/${v.config}`));
      if (journey) versions.push({ ...v, journey });
    }
    return { ...head, versions };
  }

  /** The record as stored under `journey/<id>` (version entries without the configs kept under their own keys). */
  storedJourney(id: string): StoredJourneyRecord | undefined {
    return this.journeyHeads.get(id);
  }

  /** True when a config is stored under `journey/<id>/v/<version>/<config>`. */
  hasVersionKey(id: string, version: number, config: string): boolean {
    return this.versionBodies.get(id)?.has(`${version}/${config}`) ?? false;
  }

  private invalidate(): void {
    // a resource change can change what a journey's nodes need (action templates), so recompile lazily
    this.compiledCache.clear();
    this.entryIndex = undefined;
  }

  event(id: string): EventConfig | undefined {
    return this.resources.event.get(id) as EventConfig | undefined;
  }
  datasource(id: string): DataSourceConfig | undefined {
    return this.resources.datasource.get(id) as DataSourceConfig | undefined;
  }
  action(id: string): ActionConfig | undefined {
    return this.resources.action.get(id) as ActionConfig | undefined;
  }
  /**
   * Every frequency cap, sorted by id (journeys check them before each command, twice: the list is kept until the
   * view changes rather than sorted per command).
   */
  caps(): readonly CapConfig[] {
    if (this.capList.revision !== this.revisionCount)
      this.capList = { revision: this.revisionCount, caps: Object.freeze(this.list('cap') as CapConfig[]) };
    return this.capList.caps;
  }
  /** Any non-journey resource by kind and id. */
  resource(kind: Exclude<ResourceKind, 'journey'>, id: string): Resource | undefined {
    return this.resources[kind].get(id);
  }
  /** Every resource of a kind, sorted by id. */
  list(kind: Exclude<ResourceKind, 'journey'>): Resource[] {
    return [...this.resources[kind].values()].sort((a, b) => a.id.localeCompare(b.id));
  }
  journey(id: string): JourneyRecord | undefined {
    return this.journeyRecords.get(id);
  }
  /** Every journey record, sorted by id. */
  journeys(): JourneyRecord[] {
    return [...this.journeyRecords.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** One version's record entry (journey config and state). */
  version(journeyId: string, version: number): JourneyVersion | undefined {
    return this.journeyRecords.get(journeyId)?.versions.find((v) => v.version === version);
  }
  versionState(journeyId: string, version: number): JourneyState | undefined {
    return this.version(journeyId, version)?.state;
  }
  /** True when the version was stopped: its running instances must end (`journeyStopped`). */
  isStopped(journeyId: string, version: number): boolean {
    return this.versionState(journeyId, version) === 'stopped';
  }
  /** True while the journey is paused: nobody enters, running instances halt at their next node. */
  isPaused(journeyId: string): boolean {
    return this.journeyRecords.get(journeyId)?.pausedAt !== undefined;
  }
  /** The live version of a journey, if any. */
  liveVersion(journeyId: string): number | undefined {
    return this.journeyRecords.get(journeyId)?.versions.find((v) => v.state === 'live')?.version;
  }

  /**
   * A compiled version, for instances running on it whatever its state. Compiled against the current resources;
   * when one it references was deleted since (allowed once the version is closed), compiled without reference
   * checks so running instances can still finish. `undefined` when the version does not exist or cannot compile.
   */
  compiled(journeyId: string, version: number): CompiledJourney | undefined {
    const k = `${journeyId}@${version}`;
    const cached = this.compiledCache.get(k);
    if (cached !== undefined) return cached ?? undefined;
    const v = this.version(journeyId, version);
    // A placeholder while compiling: jump checks read other journeys' compiled versions, and a jump cycle that
    // reached the topic (written by an older API) must not recurse forever.
    this.compiledCache.set(k, null);
    let out: CompiledJourney | null = null;
    if (v) {
      const opts = { ...this.opts.compile, version };
      const strict = compileJourney(v.journey, this, opts);
      const lenient = strict.ok ? strict : compileJourney(v.journey, null, opts);
      out = lenient.ok ? lenient.compiled : null;
    }
    this.compiledCache.set(k, out);
    return out ?? undefined;
  }

  /** Journeys the live version of `id` jumps to; `undefined` when it has no live version that compiles. */
  liveJumpTargets(id: string): readonly string[] | undefined {
    const live = this.liveVersion(id);
    return live === undefined ? undefined : this.compiled(id, live)?.references.journeys;
  }

  /** Live versions with an audience entry, with their publish time (ms). */
  liveAudienceJourneys(): Array<{ readonly compiled: CompiledJourney; readonly publishedAt: number }> {
    const out: Array<{ compiled: CompiledJourney; publishedAt: number }> = [];
    for (const rec of this.journeys()) {
      const v = rec.versions.find((x) => x.state === 'live');
      const c = v ? this.compiled(rec.id, v.version) : undefined;
      if (v && c?.audience) out.push({ compiled: c, publishedAt: Date.parse(v.publishedAt ?? v.createdAt) });
    }
    return out;
  }

  /** The live compiled journeys whose entry event is `eventId` (empty array when none). */
  liveJourneysFor(eventId: string): readonly CompiledJourney[] {
    if (!this.entryIndex) {
      const idx = new Map<string, CompiledJourney[]>();
      for (const rec of this.journeyRecords.values()) {
        const live = this.liveVersion(rec.id);
        const c = live === undefined ? undefined : this.compiled(rec.id, live);
        if (c?.entryEvent !== undefined) idx.set(c.entryEvent, [...(idx.get(c.entryEvent) ?? []), c]);
      }
      this.entryIndex = idx;
    }
    return this.entryIndex.get(eventId) ?? [];
  }

  /** Ids of journeys whose live version references the resource (a delete of it must be refused: 409). */
  usedByLive(kind: Exclude<ResourceKind, 'journey'>, id: string): string[] {
    if (kind === 'cap') return [];
    const field = ({ event: 'events', datasource: 'datasources', action: 'actions' } as const)[kind];
    const out: string[] = [];
    for (const rec of this.journeyRecords.values()) {
      const live = this.liveVersion(rec.id);
      const c = live === undefined ? undefined : this.compiled(rec.id, live);
      if (c?.references[field].includes(id)) out.push(rec.id);
    }
    return out.sort();
  }
}
