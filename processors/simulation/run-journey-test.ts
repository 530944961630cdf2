/**
 * `runJourneyTest`: test mode. Runs one journey version — a draft as well as a published one — as if it were the
 * only live journey, on a simulated timeline built from a `JourneyTestRequest`, and returns the report. Called by
 * the admin API (`POST /v1/journeys/:id/versions/:version/test`) and `jo test`; writes nothing anywhere.
 */
import {
  compileJourney,
  DEFAULT_JOURNEY_TEST_LIMITS,
  DEFAULT_JOURNEY_TIMEOUT,
  DEFAULT_TEST_START,
  JourneyTestCodes,
  parseDurationMs,
  pointer,
  type ConfigProblem,
  type JourneyConfig,
  type JourneyTestLimits,
  type JourneyTestRequest,
  type TestEvent,
} from '../../schemas/index.js';
import { TerminalError } from '../../topology/index.js';
import { JourneySimulation, iso, type SimulationResources } from './journey-simulation.js';
import { TestReportBuilder, type JourneyTestReport } from './test-report.js';

export interface JourneyTestInput {
  readonly resources: SimulationResources;
  readonly journey: { readonly id: string; readonly version: number; readonly state: string };
  readonly config: JourneyConfig;
  /** A request `journeyTestProblems` found no problem in. */
  readonly request: JourneyTestRequest;
  readonly limits?: JourneyTestLimits;
}

/** A test request that is well-formed but cannot be run as asked (events before the start, horizon too long). */
export class JourneyTestError extends TerminalError {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems[0]?.code ?? JourneyTestCodes.eventTime, problems.map((p) => p.message).join('; '));
  }
}

function eventTime(e: TestEvent, start: number): number {
  if (e.at !== undefined) return Date.parse(e.at);
  if (e.offset === undefined) return start;
  return start + (typeof e.offset === 'number' ? e.offset : (parseDurationMs(e.offset) ?? 0));
}

/** Start, event times and end of the timeline; throws `JourneyTestError` listing what does not fit. */
export function timeline(req: JourneyTestRequest, config: JourneyConfig, limits: JourneyTestLimits) {
  const ats = req.events.filter((e) => e.at !== undefined).map((e) => Date.parse(e.at as string));
  const start =
    req.start !== undefined ? Date.parse(req.start) : ats.length > 0 ? Math.min(...ats) : DEFAULT_TEST_START;
  const times = req.events.map((e) => eventTime(e, start));
  const problems: ConfigProblem[] = [];
  times.forEach((t, i) => {
    if (t < start)
      problems.push({
        pointer: pointer('/events', i, 'at'),
        code: JourneyTestCodes.eventTime,
        message: `${iso(t)} is before the test's start ${iso(start)}`,
      });
  });
  const last = Math.max(start, ...times);
  const timeoutMs = parseDurationMs(config.timeout ?? DEFAULT_JOURNEY_TIMEOUT) ?? 0;
  const end = req.horizon !== undefined ? start + (parseDurationMs(req.horizon) ?? 0) : last + timeoutMs;
  if (end - start > limits.maxHorizonMs)
    problems.push({
      pointer: req.horizon !== undefined ? '/horizon' : '/events',
      code: JourneyTestCodes.horizon,
      message: `the simulated time span (${Math.ceil((end - start) / 86_400_000)} days) is over the limit`,
    });
  if (problems.length > 0) throw new JourneyTestError(problems);
  return { start, times, end };
}

/** The journey's compile problems against the test's resources (a journey that does not compile cannot run). */
function compileProblems(input: JourneyTestInput): readonly ConfigProblem[] {
  const { events, actions, datasources } = input.resources;
  const refs = {
    event: (id: string) => events.find((e) => e.id === id),
    action: (id: string) => actions.find((a) => a.id === id),
    datasource: (id: string) => datasources.find((d) => d.id === id),
  };
  const r = compileJourney(input.config, refs, { version: input.journey.version });
  return r.ok ? [] : r.errors;
}

/**
 * Runs the test; throws `JourneyTestError` (the journey does not compile, or the timeline does not fit) or
 * `SimulationTooLargeError` (both terminal, with a code).
 */
export async function runJourneyTest(input: JourneyTestInput): Promise<JourneyTestReport> {
  const { request: req, config, journey } = input;
  const compileErrors = compileProblems(input);
  if (compileErrors.length > 0) throw new JourneyTestError(compileErrors);
  const limits = input.limits ?? DEFAULT_JOURNEY_TEST_LIMITS;
  const { start, times, end } = timeline(req, config, limits);
  const profiles = Object.entries(req.profiles ?? {});
  const builder = new TestReportBuilder(
    Object.keys(config.nodes),
    profiles.map(([k]) => k),
  );
  const sim = await JourneySimulation.create({
    resources: input.resources,
    journeys: [
      {
        id: journey.id,
        versions: [
          { version: journey.version, state: 'live', createdAt: iso(start), publishedAt: iso(start), journey: config },
        ],
      },
    ],
    ...(req.responses ? { responses: req.responses } : {}),
    start,
    observer: builder,
    maxInputs: limits.maxSimulatedInputs,
  });
  try {
    for (const [key, attrs] of profiles) await sim.profile(key, attrs);
    req.events.forEach((e, i) => sim.addEvent(times[i] ?? start, e.event));
    await sim.run(end);
    return builder.report({
      journey,
      start,
      end,
      events: req.events.length,
      inputs: sim.processed,
      calls: sim.endpoints.counts(),
    });
  } finally {
    await sim.close();
  }
}
