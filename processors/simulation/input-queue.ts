/**
 * The simulation's agenda: inputs due at a simulated time, taken earliest first and, at equal times, in the order
 * they were added (so a run is a pure function of its inputs). A binary min-heap on (time, sequence).
 */
export class InputQueue<T> {
  private readonly heap: Array<{ readonly at: number; readonly seq: number; readonly item: T }> = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  add(at: number, item: T): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, item });
    for (let i = h.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Time of the earliest input (Infinity when empty). */
  peekTime(): number {
    return this.heap[0]?.at ?? Infinity;
  }

  /** The earliest input without taking it. */
  peek(): { readonly at: number; readonly item: T } | undefined {
    return this.heap[0];
  }

  take(): { readonly at: number; readonly item: T } | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined) return undefined;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return { at: top.at, item: top.item };
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a];
    const y = this.heap[b];
    if (x === undefined || y === undefined) return false;
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    const t = h[a];
    const u = h[b];
    if (t === undefined || u === undefined) return;
    h[a] = u;
    h[b] = t;
  }
}
