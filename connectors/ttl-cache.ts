/**
 * An in-memory cache with a time-to-live per entry and a bound on the number of entries (least recently used
 * goes first), plus request coalescing: concurrent `getOrLoad` calls for one key share one load.
 */
import type { Clock } from '../topology/index.js';

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly inflight = new Map<string, Promise<V>>();

  constructor(
    private readonly clock: Clock,
    readonly maxEntries: number,
  ) {
    if (!(maxEntries >= 0)) throw new RangeError('maxEntries must be >= 0');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0 || this.maxEntries === 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.clock.now() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  /**
   * The cached value, else the result of the load already running for `key`, else a new `load()` whose value is
   * cached for `ttlMs`. A failed load is not cached; every caller waiting on it gets its error.
   */
  getOrLoad(key: string, ttlMs: number, load: () => Promise<V>): Promise<V> {
    const hit = this.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    const running = this.inflight.get(key);
    if (running) return running;
    const p = load().then(
      (v) => {
        this.inflight.delete(key);
        this.set(key, v, ttlMs);
        return v;
      },
      (err: unknown) => {
        this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, p);
    return p;
  }
}
