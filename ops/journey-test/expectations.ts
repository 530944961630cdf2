/**
 * Expectations of `jo test --expect FILE`: what a team asserts about a journey in its own CI. A file is
 * `{ "expectations": [...] }` (or just the list); each item is one of
 *   `{ "profile": KEY, "reaches": NODE }`      the profile's trail has a step at NODE
 *   `{ "profile": KEY, "notReaches": NODE }`   it has none
 *   `{ "action": ID, "calls": N, "profile"?: KEY }`  exactly N commands of action ID (of that profile)
 *   `{ "node": NODE, "visits": N }`             exactly N steps at NODE over all profiles
 *   `{ "profile": KEY, "endsAt": NODE }`        the profile's last step is at NODE
 * with an optional `name`. Each is checked against a test report; a failure names the expectation.
 */
import { Type, type Static } from '@sinclair/typebox';
import { schemaProblems, type ConfigProblem } from '../../schemas/index.js';
import type { JourneyTestReport } from '../../processors/index.js';

const Name = Type.Optional(Type.String({ maxLength: 200 }));
const Key = Type.String({ minLength: 1, maxLength: 512 });
const Count = Type.Integer({ minimum: 0 });
const strict = { additionalProperties: false } as const;

export const Expectation = Type.Union([
  Type.Object({ name: Name, profile: Key, reaches: Type.String() }, strict),
  Type.Object({ name: Name, profile: Key, notReaches: Type.String() }, strict),
  Type.Object({ name: Name, profile: Key, endsAt: Type.String() }, strict),
  Type.Object({ name: Name, action: Type.String(), calls: Count, profile: Type.Optional(Key) }, strict),
  Type.Object({ name: Name, node: Type.String(), visits: Count }, strict),
]);
export type Expectation = Static<typeof Expectation>;

export const ExpectationFile = Type.Union([
  Type.Object({ expectations: Type.Array(Expectation) }, strict),
  Type.Array(Expectation),
]);

/** The expectations in a parsed file, or its problems. */
export function parseExpectations(
  v: unknown,
): { ok: true; list: Expectation[] } | { ok: false; problems: ConfigProblem[] } {
  const problems = schemaProblems(ExpectationFile, v);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    list: Array.isArray(v) ? (v as Expectation[]) : (v as { expectations: Expectation[] }).expectations,
  };
}

/** A readable name: the given one, else what it says. */
export function describe(e: Expectation): string {
  if (e.name) return e.name;
  if ('reaches' in e) return `${e.profile} reaches ${e.reaches}`;
  if ('notReaches' in e) return `${e.profile} does not reach ${e.notReaches}`;
  if ('endsAt' in e) return `${e.profile} ends at ${e.endsAt}`;
  if ('calls' in e) return `action ${e.action} called ${e.calls} time(s)${e.profile ? ` for ${e.profile}` : ''}`;
  return `node ${e.node} visited ${e.visits} time(s)`;
}

function nodesOf(r: JourneyTestReport, profile: string): string[] {
  return (r.profiles[profile]?.trail ?? []).map((s) => s.nodeId);
}

/** `undefined` when `e` holds in `r`, else why not. */
export function check(e: Expectation, r: JourneyTestReport): string | undefined {
  if ('calls' in e) {
    const n = r.commands.filter((c) => c.action === e.action && (!e.profile || c.profileKey === e.profile)).length;
    return n === e.calls ? undefined : `${n} command(s) of ${e.action}, expected ${e.calls}`;
  }
  if ('visits' in e) {
    const n = Object.values(r.profiles).reduce((s, p) => s + p.trail.filter((x) => x.nodeId === e.node).length, 0);
    return n === e.visits ? undefined : `${n} step(s) at ${e.node}, expected ${e.visits}`;
  }
  const path = nodesOf(r, e.profile);
  const seen = path.length > 0 ? `its trail: ${path.join(' → ')}` : 'it has no steps';
  if ('reaches' in e) return path.includes(e.reaches) ? undefined : `never at ${e.reaches}; ${seen}`;
  if ('notReaches' in e) return path.includes(e.notReaches) ? `reached ${e.notReaches}; ${seen}` : undefined;
  return path.at(-1) === e.endsAt ? undefined : `ends at ${path.at(-1) ?? 'nothing'}; ${seen}`;
}
