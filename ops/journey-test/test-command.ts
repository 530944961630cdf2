/**
 * `jo test --journey FILE --events events.jsonl [--profiles FILE] [--responses FILE] [--resources FILE]...
 * [--expect FILE] [--start ISO] [--horizon DURATION] [--json]`: test mode from files, for a team's own CI. Runs the
 * journey on a simulated clock with canned responses (nothing is sent), prints each profile's trail and a per-node
 * table, then checks the expectations. Exit codes: 0 all expectations hold, 1 one or more failed (each named on
 * stderr), 2 usage or configuration problems.
 *
 * `--journey`: a bundle (`GET /v1/journeys/:id/versions/:v/export`), a resource set, or a journey file (its events,
 * actions and data sources then come from `--resources`). Each line of `--events` is `{"at"|"offset", "event"}` or
 * an event as a producer writes it (placed at its `timestamp`, else at the start).
 */
import { readFileSync } from 'node:fs';
import {
  journeyTestProblems,
  type ActionConfig,
  type CannedResponses,
  type ConfigProblem,
  type DataSourceConfig,
  type EventConfig,
  type JourneyConfig,
  type JourneyTestLimits,
  type JourneyTestRequest,
  type TestEvent,
} from '../../schemas/index.js';
import {
  JourneyTestError,
  runJourneyTest,
  SimulationTooLargeError,
  type JourneyTestReport,
} from '../../processors/index.js';
import { loadConfigDocs, type ConfigDoc } from '../api/index.js';
import { check, describe, parseExpectations, type Expectation } from './expectations.js';
import { nodeTable, trailLines } from './format-report.js';

/** A local run may be larger than an API request. */
export const CLI_TEST_LIMITS: JourneyTestLimits = {
  maxRequestBytes: 256 * 1024 * 1024,
  maxEvents: 1_000_000,
  maxProfiles: 1_000_000,
  maxHorizonMs: 400 * 86_400_000,
  maxSimulatedInputs: 10_000_000,
};

export interface CommandOutcome {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

const USAGE =
  'usage: jo test --journey FILE --events FILE.jsonl [--profiles FILE] [--responses FILE] [--resources FILE]... ' +
  '[--expect FILE] [--start ISO] [--horizon DURATION] [--json]';

class UsageError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

interface Args {
  journey?: string;
  events?: string;
  profiles?: string;
  responses?: string;
  expect?: string;
  start?: string;
  horizon?: string;
  json: boolean;
  resources: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { json: false, resources: [] };
  const valued = ['--journey', '--events', '--profiles', '--responses', '--expect', '--start', '--horizon'] as const;
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i] as string;
    if (f === '--json') a.json = true;
    else if (f === '--resources' && argv[i + 1] !== undefined) a.resources.push(argv[++i] as string);
    else if ((valued as readonly string[]).includes(f) && argv[i + 1] !== undefined)
      a[f.slice(2) as (typeof valued)[number] extends `--${infer K}` ? K : never] = argv[++i];
    else throw new UsageError([`unknown or incomplete option "${f}"`, USAGE]);
  }
  if (!a.journey || !a.events) throw new UsageError([USAGE]);
  return a;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new UsageError([`${file}: ${err instanceof Error ? err.message : String(err)}`]);
  }
}

/** Lines of events.jsonl as test events. */
export function readEvents(file: string): TestEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError([`${file}: ${err instanceof Error ? err.message : String(err)}`]);
  }
  return text.split('\n').flatMap((line, i) => {
    if (line.trim() === '') return [];
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new UsageError([`${file}:${i + 1}: ${err instanceof Error ? err.message : String(err)}`]);
    }
    const rec = (v ?? {}) as Record<string, unknown>;
    if ('event' in rec && Object.keys(rec).every((k) => ['at', 'offset', 'event'].includes(k)))
      return [rec as TestEvent];
    const ts = rec['timestamp'];
    return [{ ...(typeof ts === 'string' && !Number.isNaN(Date.parse(ts)) ? { at: ts } : {}), event: rec }];
  });
}

function loadConfig(files: readonly string[]) {
  const problems: string[] = [];
  const docs: ConfigDoc[] = files.flatMap((f) =>
    loadConfigDocs(f, undefined, (p) => problems.push(`${f} ${p.pointer || '/'} ${p.code} ${p.message}`)),
  );
  if (problems.length > 0) throw new UsageError(problems);
  const of = <T>(kind: ConfigDoc['kind']) => docs.filter((d) => d.kind === kind).map((d) => d.value as T);
  const journeys = of<JourneyConfig>('journey');
  if (journeys.length !== 1)
    throw new UsageError([`expected exactly one journey in ${files.join(', ')}, found ${journeys.length}`]);
  const bundle = readJson(files[0] as string) as { source?: { version?: unknown } };
  const version = typeof bundle.source?.version === 'number' ? bundle.source.version : 1;
  return {
    journey: journeys[0] as JourneyConfig,
    version,
    resources: {
      events: of<EventConfig>('event'),
      actions: of<ActionConfig>('action'),
      datasources: of<DataSourceConfig>('datasource'),
    },
  };
}

function problemLines(problems: readonly ConfigProblem[], where: string): string[] {
  return problems.map((p) => `${where} ${p.pointer || '/'} ${p.code} ${p.message}`);
}

function buildRequest(a: Args): JourneyTestRequest {
  const responses = a.responses ? (readJson(a.responses) as JourneyTestRequest['responses']) : undefined;
  const req = {
    ...(a.start ? { start: a.start } : {}),
    ...(a.horizon ? { horizon: a.horizon } : {}),
    ...(a.profiles ? { profiles: readJson(a.profiles) as Record<string, unknown> } : {}),
    events: readEvents(a.events as string),
    ...(responses ? { responses: responses as { actions?: Record<string, CannedResponses> } } : {}),
  };
  const problems = journeyTestProblems(req, CLI_TEST_LIMITS);
  if (problems.length > 0) throw new UsageError(problemLines(problems, 'test'));
  return req;
}

function summary(r: JourneyTestReport, types: Record<string, string>): string[] {
  const perAction = new Map<string, number>();
  for (const c of r.commands) perAction.set(c.action, (perAction.get(c.action) ?? 0) + 1);
  const reasons = new Map<string, number>();
  for (const d of r.discards) reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
  const list = (m: Map<string, number>) => [...m].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none';
  return [
    ...nodeTable(r.nodes, types),
    '',
    `commands (not sent): ${list(perAction)}`,
    `discards: ${list(reasons)}`,
    `errors: ${r.errors.map((e) => `${e.profileKey} at ${e.nodeId} (${e.reason})`).join(', ') || 'none'}`,
    ...(r.deadLetters.length > 0 ? [`dead letters: ${r.deadLetters.map((d) => d.code).join(', ')}`] : []),
  ];
}

function expectations(file: string | undefined, r: JourneyTestReport): { lines: string[]; failed: string[] } {
  if (!file) return { lines: [], failed: [] };
  const parsed = parseExpectations(readJson(file));
  if (!parsed.ok) throw new UsageError(problemLines(parsed.problems, file));
  const lines = ['', `expectations (${file}):`];
  const failed: string[] = [];
  parsed.list.forEach((e: Expectation, i) => {
    const why = check(e, r);
    const name = `#${i + 1} "${describe(e)}"`;
    lines.push(why === undefined ? `  ok      ${name}` : `  FAILED  ${name}: ${why}`);
    if (why !== undefined) failed.push(`expectation ${name} failed: ${why}`);
  });
  return { lines, failed };
}

/** Runs `jo test` on its arguments (after `test`). */
export async function testCommand(argv: readonly string[]): Promise<CommandOutcome> {
  try {
    const a = parseArgs(argv);
    const cfg = loadConfig([a.journey as string, ...a.resources]);
    const request = buildRequest(a);
    const report = await runJourneyTest({
      resources: cfg.resources,
      journey: { id: cfg.journey.id, version: cfg.version, state: 'file' },
      config: cfg.journey,
      request,
      limits: CLI_TEST_LIMITS,
    });
    const types = Object.fromEntries(Object.entries(cfg.journey.nodes).map(([id, n]) => [id, n.type]));
    const exp = expectations(a.expect, report);
    const head = `journey ${cfg.journey.id} v${cfg.version}: ${report.stats.events} events, simulated ${report.start} → ${report.end} (nothing sent)`;
    const out = a.json
      ? [JSON.stringify(report, null, 2)]
      : [head, '', ...trailLines(report), ...summary(report, types), ...exp.lines];
    return { code: exp.failed.length > 0 ? 1 : 0, out, err: exp.failed };
  } catch (err) {
    if (err instanceof UsageError) return { code: 2, out: [], err: err.lines };
    if (err instanceof JourneyTestError) return { code: 2, out: [], err: problemLines(err.problems, 'journey') };
    if (err instanceof SimulationTooLargeError) return { code: 2, out: [], err: [`${err.code}: ${err.message}`] };
    throw err;
  }
}
