/**
 * Deterministic identifiers and hashing: instance ids, command ids and split assignment are pure functions of
 * their inputs, so a replay after a crash produces byte-identical outputs (and endpoints can deduplicate on the
 * `Idempotency-Key`).
 */
import { hash } from 'node:crypto';

/** A UUID-shaped id derived from `parts` (SHA-256, version nibble 8 = "custom", RFC 9562). */
export function deterministicId(...parts: ReadonlyArray<string | number>): string {
  // One-shot `hash` (Node >= 20.12): no Hash object per id, which showed in profiles (one or more ids per event).
  const h = hash('sha256', parts.map(String).join('\u0000'), 'hex');
  const variant = ((parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Uniform number in [0, 1) fixed for (profile, journey, node). */
export function splitFraction(profileKey: string, journeyId: string, nodeId: string): number {
  const d = hash('sha256', `${profileKey}\u0000${journeyId}\u0000${nodeId}`, 'buffer');
  return d.readUIntBE(0, 6) / 2 ** 48;
}

/** Picks the path index for `fraction` given path weights (non-positive weights never win). */
export function pickWeighted(weights: readonly number[], fraction: number): number {
  const total = weights.reduce((s, w) => s + Math.max(0, w), 0);
  if (total <= 0) return 0;
  let acc = 0;
  const target = fraction * total;
  for (let i = 0; i < weights.length; i++) {
    acc += Math.max(0, weights[i] ?? 0);
    if (target < acc) return i;
  }
  return weights.length - 1;
}
