/**
 * Least-recently-used caches of serialized values bounded by bytes, with O(1) get/set/delete/evict.
 * (A JS `Map` used as an LRU by delete + re-insert degrades badly once it evicts: iterating from its oldest entry
 * skips every deleted slot, which made RocksDB puts 10× slower at 1M keys.)
 * `null` values are cached too: they record that a key is known to be absent.
 *
 * Several caches can share one `ByteLruPool`: one byte budget and one recency order for all of them, so a process
 * with many stores (one per task and store) holds one bounded cache instead of a budget per store, and the hot keys
 * of busy stores displace the cold keys of idle ones.
 */
interface Node {
  key: string;
  value: Buffer | null;
  /** The pool's slab holding `value`, when it is a small value copied into one. */
  slab: Slab | null;
  size: number;
  owner: ByteLru;
  prev: Node | null;
  next: Node | null;
}

/** Rough per-entry cost in the JS heap beyond the key's characters and the value's bytes. */
const ENTRY_OVERHEAD = 160;

/**
 * `value` itself when it is all of its memory, else a copy that is. Small buffers (serialized values) are usually
 * views of Node's shared 8 KiB allocation pool: a cached view keeps its whole pool slab alive long after the other
 * views in it are gone — measured, 143 MB of slabs held by 58 MB of cached values.
 */
function owned(value: Buffer): Buffer {
  if (value.buffer.byteLength <= value.length) return value;
  const copy = Buffer.allocUnsafeSlow(value.length);
  value.copy(copy);
  return copy;
}

/**
 * Small values are copied into slabs of the pool's own instead (a buffer of their own per cached value — one
 * ArrayBuffer per store write — was ~20% of a stateful task's CPU, most of it GC). Slabs are append-only: a view
 * handed out stays valid whatever happens to the cache. Overwritten and evicted values leave holes; when the slabs
 * hold over 3× the bytes of the values in them (and over `COMPACT_ABOVE`), the values of the sparsest slabs are
 * copied into new ones and the old slabs become garbage, so slabs stay within about 2–3× the cached bytes.
 */
interface Slab {
  readonly buf: Buffer;
  /** Bytes of cached values in it. */
  live: number;
}

const SLAB_BYTES = 64 * 1024;
/** Values up to this size go into slabs; larger ones get a buffer of their own. */
const SLAB_VALUE_MAX = 1024;
const COMPACT_ABOVE = 1024 * 1024;

/** The shared byte budget and recency order of the `ByteLru`s created on it. */
export class ByteLruPool {
  /** Most recently used. */
  private head: Node | null = null;
  /** Least recently used. */
  private tail: Node | null = null;
  private used = 0;
  private count = 0;
  /** The slab new small values go to, and the next free byte in it. */
  private slab: Slab | null = null;
  private slabAt = 0;
  /** Bytes of the slabs that hold cached values (the current slab included). */
  private slabTotal = 0;
  /** Bytes of cached values in slabs. */
  private slabLive = 0;

  constructor(readonly maxBytes: number) {}

  /** Bytes of the pool's slabs still holding cached values (for tests and diagnostics). */
  get slabBytes(): number {
    return this.slabTotal;
  }

  /** @internal Sets `n.value` to a copy of `value` the pool owns (a slab's or its own). */
  place(n: Node, value: Buffer | null): void {
    n.slab = null;
    if (value === null || value.length === 0 || value.length > SLAB_VALUE_MAX) {
      n.value = value && owned(value);
      return;
    }
    const len = value.length;
    if (this.slab === null || this.slabAt + len > SLAB_BYTES) {
      this.retireSlab();
      this.slab = { buf: Buffer.allocUnsafeSlow(SLAB_BYTES), live: 0 };
      this.slabAt = 0;
      this.slabTotal += SLAB_BYTES;
    }
    const slab = this.slab;
    value.copy(slab.buf, this.slabAt);
    n.value = slab.buf.subarray(this.slabAt, this.slabAt + len);
    n.slab = slab;
    this.slabAt += len;
    slab.live += len;
    this.slabLive += len;
  }

  /** The current slab takes no more values: it is dropped from the count once none of its values is cached. */
  private retireSlab(): void {
    if (this.slab !== null && this.slab.live === 0) this.slabTotal -= SLAB_BYTES;
    this.slab = null;
  }

  /** `n`'s value leaves the cache (replaced or removed). */
  private release(n: Node): void {
    const slab = n.slab;
    if (slab === null) return;
    const len = (n.value as Buffer).length;
    slab.live -= len;
    this.slabLive -= len;
    n.slab = null;
    if (slab.live === 0 && slab !== this.slab) this.slabTotal -= SLAB_BYTES;
  }

  /** Copies the values of slabs under half full into new slabs when the slabs hold over 3× their values. */
  private maybeCompact(): void {
    if (this.slabTotal <= COMPACT_ABOVE || this.slabTotal <= 3 * this.slabLive) return;
    this.retireSlab();
    for (let n = this.head; n; n = n.next) {
      const slab = n.slab;
      if (slab === null || slab === this.slab || slab.live * 2 >= SLAB_BYTES) continue;
      const value = n.value;
      this.release(n);
      this.place(n, value);
    }
  }

  /** Bytes held by all caches of the pool. */
  get bytes(): number {
    return this.used;
  }

  /** Entries held by all caches of the pool. */
  get size(): number {
    return this.count;
  }

  /** @internal */
  touch(n: Node): void {
    this.unlink(n);
    this.pushHead(n);
  }

  /** @internal Adds `n` as most recently used, then evicts least recently used entries of any cache. */
  add(n: Node): void {
    n.owner.nodes.set(n.key, n);
    n.owner.used += n.size;
    this.pushHead(n);
    this.used += n.size;
    this.count++;
    while (this.used > this.maxBytes && this.tail) this.remove(this.tail);
  }

  /** @internal An entry of a cache takes a new value: resized in place, most recently used, then evicts. */
  replace(n: Node, value: Buffer | null, size: number): void {
    n.owner.used += size - n.size;
    this.used += size - n.size;
    this.release(n);
    this.place(n, value);
    n.size = size;
    this.touch(n);
    while (this.used > this.maxBytes && this.tail && this.tail !== n) this.remove(this.tail);
    this.maybeCompact();
  }

  /** @internal */
  remove(n: Node): void {
    n.owner.nodes.delete(n.key);
    n.owner.used -= n.size;
    this.unlink(n);
    this.used -= n.size;
    this.count--;
    this.release(n);
    this.maybeCompact();
  }

  private unlink(n: Node): void {
    if (n.prev) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next) n.next.prev = n.prev;
    else this.tail = n.prev;
    n.prev = n.next = null;
  }

  private pushHead(n: Node): void {
    n.next = this.head;
    if (this.head) this.head.prev = n;
    this.head = n;
    if (!this.tail) this.tail = n;
  }
}

/** One cache: its own keys, the budget and recency order of its pool (its own pool when given a byte count). */
export class ByteLru {
  /** @internal kept by the pool */
  readonly nodes = new Map<string, Node>();
  /** @internal kept by the pool */
  used = 0;
  readonly pool: ByteLruPool;

  constructor(budget: number | ByteLruPool) {
    this.pool = typeof budget === 'number' ? new ByteLruPool(budget) : budget;
  }

  /** The pool's budget (shared by every cache of the pool). */
  get maxBytes(): number {
    return this.pool.maxBytes;
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Bytes held by this cache. */
  get bytes(): number {
    return this.used;
  }

  /** The cached value (null = known absent), or undefined when not cached. Marks it most recently used. */
  get(key: string): Buffer | null | undefined {
    const n = this.nodes.get(key);
    if (!n) return undefined;
    this.pool.touch(n);
    return n.value;
  }

  /** Like `get` without marking the entry used. */
  peek(key: string): Buffer | null | undefined {
    return this.nodes.get(key)?.value;
  }

  has(key: string): boolean {
    return this.nodes.has(key);
  }

  /**
   * Caches `value`, evicting least recently used entries (of any cache of the pool) to stay within the budget.
   * Entries over 1/8 of the budget are not kept.
   */
  set(key: string, value: Buffer | null): void {
    const n = this.nodes.get(key);
    const size = ENTRY_OVERHEAD + key.length * 2 + (value?.length ?? 0);
    if (size > this.pool.maxBytes / 8) {
      if (n) this.pool.remove(n);
      return;
    }
    // an overwrite (the common case: a store's put after its get) reuses the entry
    if (n) this.pool.replace(n, value, size);
    else {
      const node: Node = { key, value: null, slab: null, size, owner: this, prev: null, next: null };
      this.pool.place(node, value);
      this.pool.add(node);
    }
  }

  delete(key: string): void {
    const n = this.nodes.get(key);
    if (n) this.pool.remove(n);
  }

  /** Drops this cache's entries (other caches of the pool keep theirs). */
  clear(): void {
    for (const n of [...this.nodes.values()]) this.pool.remove(n);
  }
}
