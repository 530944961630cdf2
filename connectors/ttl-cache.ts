/**
 * An in-memory cache with a time-to-live per entry and bounds on the number of entries and, when `sizeOf` is given,
 * on their total size in bytes (least recently used goes first; a value larger than the whole budget is not cached),
 * plus request coalescing: concurrent `getOrLoad` calls for one key share one load.
 */
import type { Clock } from '../topology/index.js';

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number; bytes: number }>();
  private readonly inflight = new Map<string, Promise<V>>();
  private totalBytes = 0;

  constructor(
    private readonly clock: Clock,
    readonly maxEntries: number,
    /** Bound on the sum of `sizeOf(key, value)` over the entries; Infinity by default. */
    readonly maxBytes = Infinity,
    private readonly sizeOf: (key: string, value: V) => number = () => 0,
  ) {
    if (!(maxEntries >= 0)) throw new RangeError('maxEntries must be >= 0');
  }

  /** Sum of the entries' sizes (0 without `sizeOf`). */
  get bytes(): number {
    return this.totalBytes;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.totalBytes -= e.bytes;
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.clock.now()) {
      this.remove(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.remove(key);
    const bytes = this.sizeOf(key, value);
    if (ttlMs <= 0 || this.maxEntries === 0 || bytes > this.maxBytes) return;
    this.entries.set(key, { value, expiresAt: this.clock.now() + ttlMs, bytes });
    this.totalBytes += bytes;
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value);
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
