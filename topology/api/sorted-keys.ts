/**
 * Keys in UTF-8 byte order (RocksDB's default), kept sorted as they are added and removed: a list of sorted chunks
 * of at most `CHUNK` keys (a flat B-tree), so an insert or delete costs a binary search and a short splice instead
 * of re-sorting every key. The in-memory store keeps its key order here; a journey simulation adds a timer and
 * range-scans the timer index for nearly every input, which a re-sort per scan made quadratic.
 */

/** Keys per chunk before it splits in two. */
const CHUNK = 512;

/**
 * Compares two strings by their UTF-8 bytes without encoding them. UTF-16 code-unit order is code-point order
 * except that a surrogate (a code point above U+FFFF) must sort after U+E000..U+FFFF.
 */
export function utf8Compare(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (x >= 0xe000 || y >= 0xe000)) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** First index in sorted `keys` whose key is >= `key` (or > `key` with `after`). */
function lowerBound(keys: readonly string[], key: string, after = false): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = utf8Compare(keys[mid] ?? '', key);
    if (c < 0 || (after && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SortedKeys {
  private readonly chunks: string[][] = [];
  /** Last key of each chunk. */
  private readonly maxes: string[] = [];
  /** Bumped by every change, so that a scan knows when to find its place again. */
  private version = 0;

  /** The distinct `keys`, sorted once (a store that orders its keys only when first scanned). */
  static of(keys: Iterable<string>): SortedKeys {
    const s = new SortedKeys();
    const all = [...keys].sort(utf8Compare);
    for (let i = 0; i < all.length; i += CHUNK) {
      const chunk = all.slice(i, i + CHUNK);
      s.chunks.push(chunk);
      s.maxes.push(chunk[chunk.length - 1] ?? '');
    }
    return s;
  }

  /** Index of the chunk `key` belongs in (the first whose last key is >= key; the last chunk if none). */
  private chunkOf(key: string): number {
    return Math.min(lowerBound(this.maxes, key), this.chunks.length - 1);
  }

  /** Adds a key that is not there yet. */
  add(key: string): void {
    this.version++;
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.maxes.push(key);
      return;
    }
    const c = this.chunkOf(key);
    const chunk = this.chunks[c] ?? [];
    chunk.splice(lowerBound(chunk, key), 0, key);
    this.maxes[c] = chunk[chunk.length - 1] ?? key;
    if (chunk.length > 2 * CHUNK) {
      const tail = chunk.splice(CHUNK);
      this.chunks.splice(c + 1, 0, tail);
      this.maxes.splice(c, 1, chunk[chunk.length - 1] ?? '', tail[tail.length - 1] ?? '');
    }
  }

  /** Removes a key if it is there. */
  delete(key: string): void {
    if (this.chunks.length === 0) return;
    const c = this.chunkOf(key);
    const chunk = this.chunks[c] ?? [];
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) return;
    this.version++;
    chunk.splice(i, 1);
    if (chunk.length === 0) {
      this.chunks.splice(c, 1);
      this.maxes.splice(c, 1);
    } else this.maxes[c] = chunk[chunk.length - 1] ?? '';
  }

  /**
   * Keys with `from <= key < to` (no upper bound when `to` is undefined), in order. Changes made while iterating
   * are seen as a fresh scan from just after the last key yielded would see them.
   */
  *range(from: string, to?: string): Generator<string> {
    let last: string | undefined;
    let c = 0;
    let i = 0;
    let seen = -1;
    for (;;) {
      if (seen !== this.version) {
        seen = this.version;
        const start = last ?? from;
        if (this.chunks.length === 0) return;
        c = this.chunkOf(start);
        i = lowerBound(this.chunks[c] ?? [], start, last !== undefined);
      }
      let chunk = this.chunks[c];
      while (chunk && i >= chunk.length) {
        c++;
        i = 0;
        chunk = this.chunks[c];
      }
      const key = chunk?.[i];
      if (key === undefined || (to !== undefined && utf8Compare(key, to) >= 0)) return;
      i++;
      last = key;
      yield key;
    }
  }
}
