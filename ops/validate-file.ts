/**
 * `jo validate FILE`: offline checks of a journey, a journey bundle (`jo.journey-bundle/1`, what the API
 * exports) or a resource set `{events, datasources, actions, journeys}` (ops/sample/resources.json). References
 * are checked against the resources in the same file; a lone journey is checked without them.
 */
import {
  compileJourney,
  pointer,
  resourceValidators,
  type ActionConfig,
  type ConfigProblem,
  type DataSourceConfig,
  type EventConfig,
  type JourneyRefs,
} from '../schemas/index.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function refsOf(doc: Obj): JourneyRefs {
  const byId = <T>(list: unknown[]) => {
    const m = new Map<string, T>();
    for (const x of list) if (isObj(x) && typeof x['id'] === 'string') m.set(x['id'], x as T);
    return m;
  };
  const events = byId<EventConfig>(arr(doc['events']));
  const actions = byId<ActionConfig>(arr(doc['actions']));
  const datasources = byId<DataSourceConfig>(arr(doc['datasources']));
  return { event: (id) => events.get(id), action: (id) => actions.get(id), datasource: (id) => datasources.get(id) };
}

export function validateFile(doc: unknown): ConfigProblem[] {
  if (!isObj(doc)) return [{ pointer: '', code: 'SCHEMA_TYPE', message: 'expected a JSON object' }];
  if ('nodes' in doc) {
    const r = compileJourney(doc, null);
    return r.ok ? [] : r.errors;
  }
  const problems: ConfigProblem[] = [];
  const refs = refsOf(doc);
  for (const [key, kind] of [
    ['events', 'event'],
    ['datasources', 'datasource'],
    ['actions', 'action'],
  ] as const) {
    arr(doc[key]).forEach((res, i) => {
      for (const p of resourceValidators[kind](res))
        problems.push({ ...p, pointer: pointer(`/${key}/${i}`) + p.pointer });
    });
  }
  const journeys =
    'journey' in doc
      ? [['/journey', doc['journey']] as const]
      : arr(doc['journeys']).map((j, i) => [`/journeys/${i}`, j] as const);
  for (const [base, j] of journeys) {
    const r = compileJourney(j, refs);
    if (!r.ok) for (const p of r.errors) problems.push({ ...p, pointer: base + p.pointer });
  }
  return problems;
}
