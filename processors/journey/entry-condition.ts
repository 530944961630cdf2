/**
 * A journey's entry condition, tested for each event of its entry type before an instance exists. Most events fail
 * it (a journey per segment of an event type), so the refusal must cost as little as the rule itself: the instance
 * id — a hash — is made only once the condition holds, unless the condition could read it.
 */
import { ruleData, type WalkContext } from './journey-walk.js';
import { testRule } from './rules.js';

const reads = new WeakMap<object, boolean>();

/**
 * Whether `rule` may read `journey.instanceId`: a `var` of it, of `journey` or of the whole data, a computed `var`
 * path, or `missing`/`missing_some` (conservative: any doubt counts as a read). Cached per rule object (rules are
 * parts of the journey config the view keeps).
 */
export function readsInstanceId(rule: unknown): boolean {
  if (rule === null || typeof rule !== 'object') return false;
  let r = reads.get(rule);
  if (r === undefined) reads.set(rule, (r = mayRead(rule)));
  return r;
}

function mayReadPath(arg: unknown): boolean {
  const [path, ...defaults] = Array.isArray(arg) ? (arg as unknown[]) : [arg];
  if (typeof path !== 'string' && typeof path !== 'number') return true;
  const p = String(path);
  return p === '' || p === 'journey' || p.startsWith('journey.instanceId') || defaults.some(mayRead);
}

function mayRead(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(mayRead);
  if (node === null || typeof node !== 'object') return false;
  for (const [op, arg] of Object.entries(node)) {
    if (op === 'missing' || op === 'missing_some') return true;
    if (op === 'var' ? mayReadPath(arg) : mayRead(arg)) return true;
  }
  return false;
}

/**
 * Why the entry `condition` refuses the instance `ctx` would start (`entryConditionNotMet`, or
 * `entryConditionFailed` when the rule or a data source it needs fails), or undefined when it holds.
 */
export async function entryRefusal(
  ctx: WalkContext,
  condition: unknown,
  needs: readonly string[],
): Promise<string | undefined> {
  try {
    const data = await ruleData(ctx, needs);
    return testRule(condition, data, ctx.def.timezone) ? undefined : 'entryConditionNotMet';
  } catch {
    return 'entryConditionFailed';
  }
}
