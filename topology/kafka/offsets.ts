/**
 * Kafka offsets as kafkajs hands them out: decimal strings. Comparing them needs no BigInt (one per record was a
 * measurable share of the hot path's allocations): two non-negative decimals without leading zeros compare by
 * length, then character by character.
 */

/** Negative when offset `a` is before `b`, 0 when equal, positive after. */
export function compareOffsets(a: string, b: string): number {
  if (a.charCodeAt(0) === 45 || b.charCodeAt(0) === 45) {
    // a negative sentinel (-1): rare, exact through BigInt
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The offset after `offset`, as a decimal string. */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

/** Records from offset `position` up to the high watermark `hw` (0 when the position is at or past it). */
export function offsetLag(hw: string, position: string): number {
  return Math.max(0, Number(BigInt(hw) - BigInt(position)));
}
