/**
 * What route handlers share: the config store, the clock, compile options, a per-key write lock, and the small
 * request helpers (path ids, body objects) that turn bad input into 400s with pointers.
 */
import {
  ID_PATTERN,
  pointer,
  type CompileOptions,
  type ConfigProblem,
  type ResourcePolicy,
} from '../../schemas/index.js';
import type { ConfigStore } from './config-store.js';
import { invalid } from './errors.js';

export interface RouteContext {
  readonly store: ConfigStore;
  readonly now: () => Date;
  readonly compile: CompileOptions;
  /** Journey versions kept per journey beyond those instances may still run on (`pruneVersions`). */
  readonly versionsKept: number;
  /** Outbound and secret policies every saved action and data source must satisfy. */
  readonly policy: ResourcePolicy;
  /** Runs `fn` after every earlier call for the same key: read-modify-write of one record never interleaves. */
  serialize<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export function keyedLock(): RouteContext['serialize'] {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const prev = tails.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

const MAX_REBASES = 5;

/**
 * Read-modify-write of one record that stays correct with several API processes on one topic: `change` runs on
 * the current value; when the write turns out to have landed on top of another writer's record (not the one we
 * read), `change` runs again on that record and is written again, so neither update is lost. When `change` now
 * refuses (e.g. the other writer published first), the other writer's record is put back and the error rethrown.
 * Call inside `serialize` for the same key.
 */
export async function updateRecord<T>(
  store: ConfigStore,
  key: string,
  current: T | undefined,
  change: (cur: T | undefined) => T,
): Promise<T> {
  let base = store.offsetOf(key);
  let cur = current;
  for (let attempt = 0; ; attempt++) {
    let next: T;
    try {
      next = change(cur);
    } catch (err) {
      if (attempt > 0) await store.write(key, cur ?? null); // our first write replaced theirs: put it back
      throw err;
    }
    const r = await store.write(key, next);
    if (r.previousOffset === base || attempt >= MAX_REBASES) return next;
    cur = r.previousValue as T | undefined;
    base = r.offset;
  }
}

const ID_RE = new RegExp(ID_PATTERN);

/** The `:id` path parameter, checked against the resource id pattern. */
export function pathId(params: unknown): string {
  const id = (params as { id?: unknown }).id;
  if (typeof id !== 'string' || !ID_RE.test(id))
    throw invalid(
      [{ pointer: '/id', code: 'SCHEMA_PATTERN', message: `path id must match ${ID_PATTERN}` }],
      'bad path',
    );
  return id;
}

/** The `:version` path parameter, a positive integer. */
export function pathVersion(params: unknown): number {
  const raw = (params as { version?: unknown }).version;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^[1-9]\d{0,8}$/.test(raw))
    throw invalid(
      [{ pointer: '/version', code: 'SCHEMA_PATTERN', message: 'version must be a positive integer' }],
      'bad path',
    );
  return n;
}

/**
 * A resource body: must be an object; its `id` is taken from the path when absent and must match it when present.
 * Returns a copy (the caller may store it).
 */
export function resourceBody(body: unknown, id: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw invalid([{ pointer: '', code: 'SCHEMA_TYPE', message: 'body must be a JSON object' }]);
  const copy = { ...(body as Record<string, unknown>) };
  if (copy['id'] === undefined) copy['id'] = id;
  else if (copy['id'] !== id)
    throw invalid([{ pointer: '/id', code: 'ID_MISMATCH', message: `id must equal the path id "${id}"` }]);
  return copy;
}

/** Optional `{ "version": n }` body of publish/close/stop. */
export function versionBody(body: unknown): number | undefined {
  if (body === undefined) return undefined;
  const problems: ConfigProblem[] = [];
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    problems.push({ pointer: '', code: 'SCHEMA_TYPE', message: 'body must be a JSON object or empty' });
  else {
    const rec = body as Record<string, unknown>;
    for (const k of Object.keys(rec))
      if (k !== 'version')
        problems.push({ pointer: pointer('', k), code: 'SCHEMA_UNKNOWN_PROPERTY', message: 'unknown property' });
    const v = rec['version'];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 1))
      problems.push({ pointer: '/version', code: 'SCHEMA_TYPE', message: 'version must be a positive integer' });
    if (problems.length === 0) return v as number | undefined;
  }
  throw invalid(problems);
}
