/**
 * Copies of small buffers in append-only slabs, for buffers that outlive the allocation they are views of. Node hands
 * out small buffers as views of its shared 8 KiB pool, and kafkajs decodes keys and values as views of the whole
 * fetch response: a view that is kept keeps all of that alive, while the rest of it is garbage. Measured mid-ingest
 * with 1M waits, ~18,000 task outputs and ~6,000 records held back behind a transaction marker held ~380 MB of 8 KiB
 * pool slabs for a few MB of data. Copied into slabs of their own, buffers kept together for about as long (one
 * commit's outputs) share a few slabs, which go when they do.
 */

/** Buffers up to this size are copied into slabs; larger ones get an allocation of their own. */
const SLAB_VALUE_MAX = 4 * 1024;
const SLAB_BYTES = 64 * 1024;

/** Every slab made here: a copy in one is owned already, wherever it goes next (a store's buffer, then a commit). */
const SLABS = new WeakSet<ArrayBufferLike>();

export class ByteSlabs {
  private slab: Buffer | undefined;
  private at = 0;

  /**
   * `b` itself when it is (about) all of its allocation or already in a slab; else a copy — in the current slab when small, of its own
   * when large. Slabs are append-only: a copy handed out stays valid.
   */
  own(b: Buffer): Buffer {
    if (b.buffer.byteLength <= 2 * b.length || SLABS.has(b.buffer)) return b;
    if (b.length > SLAB_VALUE_MAX) {
      const own = Buffer.allocUnsafeSlow(b.length);
      b.copy(own);
      return own;
    }
    if (this.slab === undefined || this.at + b.length > SLAB_BYTES) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      SLABS.add(this.slab.buffer);
      this.at = 0;
    }
    const from = this.at;
    b.copy(this.slab, from);
    this.at = from + b.length;
    return this.slab.subarray(from, this.at);
  }
}
