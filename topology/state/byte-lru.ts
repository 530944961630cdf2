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

/** The shared byte budget and recency order of the `ByteLru`s created on it. */
export class ByteLruPool {
  /** Most recently used. */
  private head: Node | null = null;
  /** Least recently used. */
  private tail: Node | null = null;
  private used = 0;
  private count = 0;

  constructor(readonly maxBytes: number) {}

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

  /** @internal */
  remove(n: Node): void {
    n.owner.nodes.delete(n.key);
    n.owner.used -= n.size;
    this.unlink(n);
    this.used -= n.size;
    this.count--;
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
    this.delete(key);
    const size = ENTRY_OVERHEAD + key.length * 2 + (value?.length ?? 0);
    if (size > this.pool.maxBytes / 8) return;
    this.pool.add({ key, value: value && owned(value), size, owner: this, prev: null, next: null });
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
