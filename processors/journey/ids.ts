/**
 * Deterministic identifiers and hashing: instance ids, command ids and split assignment are pure functions of
 * their inputs, so a replay after a crash produces byte-identical outputs (and endpoints can deduplicate on the
 * `Idempotency-Key`).
 */
import { hash } from 'node:crypto';

/** Where each of the id's 36 characters comes from: a hex digit of the digest, or -1 for a dash. */
const LAYOUT = ((shape) => {
  let digit = 0;
  return [...shape].map((c) => (c === '-' ? -1 : digit++));
})('xxxxxxxx-xxxx-8xxx-vxxx-xxxxxxxxxxxx');
const ID = Buffer.alloc(36);
const HEX_DIGITS = '0123456789abcdef';

/** A UUID-shaped id derived from `parts` (SHA-256, version nibble 8 = "custom", RFC 9562). */
export function deterministicId(...parts: ReadonlyArray<string | number>): string {
  // One-shot `hash` (Node >= 20.12): no Hash object per id, which showed in profiles (one or more ids per event).
  // Hex output: in Node 20 it costs about a third of the 'buffer' output. The id is written into one buffer and
  // read as one flat string: the slices and template literal this replaces left a tree of string pieces per id,
  // and ids live as long as their instance (promoted to the old generation).
  const h = hash('sha256', parts.map(String).join('\u0000'), 'hex');
  for (let i = 0; i < 36; i++) {
    const n = LAYOUT[i] ?? -1;
    if (n < 0) ID[i] = 0x2d;
    else if (i === 14)
      ID[i] = 0x38; // version 8
    else if (i === 19)
      ID[i] = HEX_DIGITS.charCodeAt((parseInt(h.charAt(n), 16) & 0x3) | 0x8); // variant
    else ID[i] = h.charCodeAt(n);
  }
  return ID.toString('latin1');
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
