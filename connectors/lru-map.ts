/**
 * A Map that keeps at most `max` entries, for state keyed by what commands and configs name (origins, action and
 * data-source ids): a producer to a command topic can name any number of origins, so nothing keyed by them may
 * grow without bound. Reads refresh an entry; over `max`, the least recently used entries that `evictable` allows
 * go first (e.g. a semaphore with permits out stays).
 */
export class LruMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(
    readonly max: number,
    private readonly evictable: (value: V) => boolean = () => true,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const v = this.entries.get(key);
    if (v !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }

  /** Peeks without refreshing. */
  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V): this {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.max)
      for (const [k, v] of this.entries) {
        if (this.entries.size <= this.max) break;
        if (k !== key && this.evictable(v)) this.entries.delete(k);
      }
    return this;
  }
}
