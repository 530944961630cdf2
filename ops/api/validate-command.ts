/**
 * `jo validate [--kind event|datasource|action|journey] [--no-refs] <file>...`: validates configuration files
 * offline with the same validators as the API. Files are checked together, so a journey's references resolve
 * against the events, data sources and actions given alongside it (or inside a bundle or a resource set
 * `{events, datasources, actions, journeys}`). Prints one line per
 * problem (`file pointer code message`) and returns the exit code: 0 all valid, 2 something invalid or unreadable.
 */
import { readFileSync } from 'node:fs';
import {
  ResourceKinds,
  compileJourney,
  type ActionConfig,
  type DataSourceConfig,
  type EventConfig,
  type JourneyRefs,
  type ResourceKind,
  type ResourcePolicy,
} from '../../schemas/index.js';
import { resourceProblems } from './routes-resources.js';
import { bodyProblems, parseJsonBody } from './body-guard.js';
import { BUNDLE_FORMAT } from './bundle.js';
import type { ApiProblem } from './errors.js';

/** One configuration document of a file (a bundle or resource set yields several). */
export interface ConfigDoc {
  readonly file: string;
  readonly kind: ResourceKind;
  readonly value: Record<string, unknown>;
}

export interface ValidateOutcome {
  readonly code: number;
  readonly lines: string[];
}

function guessKind(v: Record<string, unknown>): ResourceKind | undefined {
  if ('nodes' in v) return 'journey';
  if ('recognition' in v) return 'event';
  if (v['type'] === 'campaign' || 'retries' in v || 'maxConcurrency' in v) return 'action';
  if ('cacheTtlMs' in v) return 'datasource';
  return undefined;
}

/**
 * Reads a configuration file — one resource, a journey, a bundle (`GET .../export`) or a resource set — into its
 * documents; problems (unreadable, bad JSON, unknown kind) go to `fail`. Also used by `jo test`.
 */
export function loadConfigDocs(
  file: string,
  kind: ResourceKind | undefined,
  fail: (p: ApiProblem) => void,
): ConfigDoc[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail({ pointer: '', code: 'FILE_UNREADABLE', message: err instanceof Error ? err.message : String(err) });
    return [];
  }
  const parsed = parseJsonBody(text);
  if (!parsed.ok) return (parsed.problems.forEach(fail), []);
  const guard = bodyProblems(parsed.value);
  if (guard.length > 0) return (guard.forEach(fail), []);
  const v = parsed.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return (fail({ pointer: '', code: 'SCHEMA_TYPE', message: 'expected a JSON object' }), []);
  const rec = v as Record<string, unknown>;
  const isSet = ['events', 'datasources', 'actions', 'journeys'].some((f) => Array.isArray(rec[f]));
  if (rec['format'] === BUNDLE_FORMAT || (isSet && !('nodes' in rec))) {
    const part = (field: string, k: ResourceKind) =>
      (Array.isArray(rec[field]) ? (rec[field] as unknown[]) : []).map((x, i) => ({
        file: `${file}#/${field}/${i}`,
        kind: k,
        value: x as Record<string, unknown>,
      }));
    return [
      ...part('events', 'event'),
      ...part('datasources', 'datasource'),
      ...part('actions', 'action'),
      // a bundle holds one journey; a resource set (ops/sample/resources.json) a list
      ...(rec['format'] === BUNDLE_FORMAT
        ? [{ file: `${file}#/journey`, kind: 'journey' as const, value: rec['journey'] as Record<string, unknown> }]
        : part('journeys', 'journey')),
    ];
  }
  const k = kind ?? guessKind(rec);
  if (!k)
    return (fail({ pointer: '', code: 'KIND_UNKNOWN', message: 'cannot tell the resource kind; pass --kind' }), []);
  return [{ file, kind: k, value: rec }];
}

function refsOf(docs: readonly ConfigDoc[]): JourneyRefs {
  const of = <T>(kind: ResourceKind) =>
    new Map(docs.filter((d) => d.kind === kind).map((d) => [String(d.value?.['id']), d.value as T]));
  const ev = of<EventConfig>('event');
  const ds = of<DataSourceConfig>('datasource');
  const ac = of<ActionConfig>('action');
  return { event: (i) => ev.get(i), datasource: (i) => ds.get(i), action: (i) => ac.get(i) };
}

/**
 * Runs the command on its arguments (after `validate`). With `policy` (the CLI passes the engine's, from the
 * environment), data sources and actions must also satisfy the outbound and secret policies, as on a PUT.
 */
export function validateCommand(args: readonly string[], policy?: ResourcePolicy): ValidateOutcome {
  const lines: string[] = [];
  let kind: ResourceKind | undefined;
  let useRefs = true;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--no-refs') useRefs = false;
    else if (a === '--kind') kind = args[++i] as ResourceKind;
    else files.push(a);
  }
  if (files.length === 0 || (kind !== undefined && !ResourceKinds.includes(kind)))
    return { code: 2, lines: ['usage: jo validate [--kind event|datasource|action|journey] [--no-refs] <file>...'] };
  let bad = false;
  const report = (file: string) => (p: ApiProblem) => {
    bad = true;
    lines.push(`${file} ${p.pointer || '/'} ${p.code} ${p.message}`);
  };
  const docs = files.flatMap((f) => loadConfigDocs(f, kind, report(f)));
  const refs = useRefs ? refsOf(docs) : null;
  // --no-refs: every data source an action template names counts as present
  const noDatasources = { datasource: (id: string) => ({ id }) as unknown as DataSourceConfig };
  for (const d of docs) {
    const problems =
      d.kind === 'journey'
        ? ((r) => (r.ok ? [] : r.errors))(compileJourney(d.value, refs))
        : resourceProblems(d.kind, d.value ?? {}, refs ?? noDatasources, policy);
    problems.forEach(report(d.file));
    if (problems.length === 0) lines.push(`${d.file} OK (${d.kind} ${String(d.value?.['id'])})`);
  }
  return { code: bad ? 2 : 0, lines };
}
