/**
 * What an `updateProfile` node does to a profile document: sets attributes (dotted paths, values evaluated as
 * json-logic: literals stay literals) and removes others, on a copy. The journey compiler has already refused
 * paths that reach a prototype, so only plain own properties are written.
 */
import type { UpdateProfileNode } from '../../schemas/index.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The profile after `node`; `profile` is not modified. `evaluate` renders one `set` value. */
export function updatedProfile(
  profile: unknown,
  node: UpdateProfileNode,
  evaluate: (value: unknown) => unknown,
): Record<string, unknown> {
  const next: Record<string, unknown> = isRecord(profile) ? structuredClone(profile) : {};
  for (const [path, value] of Object.entries(node.set ?? {})) {
    const segs = path.split('.');
    const last = segs.pop() as string;
    let at = next;
    for (const seg of segs) {
      const child = Object.hasOwn(at, seg) ? at[seg] : undefined;
      if (!isRecord(child)) at[seg] = {};
      at = at[seg] as Record<string, unknown>;
    }
    at[last] = evaluate(value);
  }
  for (const path of node.remove ?? []) {
    const segs = path.split('.');
    const last = segs.pop() as string;
    let at: unknown = next;
    for (const seg of segs) at = isRecord(at) && Object.hasOwn(at, seg) ? at[seg] : undefined;
    if (isRecord(at)) delete at[last];
  }
  return next;
}
