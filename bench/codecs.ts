/**
 * `npm run bench -- codecs`: what each output codec costs the engine per produced batch, on batches shaped like the
 * engine's own outputs (repartitioned XDM events, step records, changelog values as JSON): CPU time to compress
 * (paid by the engine on every produce) and to decompress (paid by every reader), and the size on the wire.
 * The engine's default output codec is the one with the lowest compress cost at a comparable ratio.
 */
import { performance } from 'node:perf_hooks';
import { rawCodecs, type CodecName } from '../topology/index.js';
import type { BenchContext, BenchRow } from './types.js';

function sampleBatch(records: number, seed: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < records; i++) {
    const n = seed * records + i;
    parts.push(
      JSON.stringify({
        _id: `evt-${n}-${(n * 2654435761) % 1_000_003}`,
        timestamp: new Date(Date.UTC(2026, 0, 1) + n * 37).toISOString(),
        eventType: n % 3 ? 'commerce.productViews' : 'commerce.purchases',
        identityMap: { email: [{ id: `user${n % 5000}@example.com`, primary: true }] },
        commerce: { order: { priceTotal: (n % 997) / 10, currencyCode: 'EUR' } },
        journey: { instanceId: `i-${n % 7919}`, nodeId: 'send-reminder', status: 'transitioned' },
      }),
    );
  }
  return Buffer.from(parts.join(''));
}

export async function run(_ctx: BenchContext): Promise<BenchRow[]> {
  const codecs = rawCodecs();
  const batches = Array.from({ length: 200 }, (_, i) => sampleBatch(100, i));
  const bytes = batches.reduce((n, b) => n + b.length, 0);
  const rows: BenchRow[] = [];
  for (const name of ['lz4', 'zstd', 'snappy', 'gzip'] as CodecName[]) {
    const codec = codecs[name];
    for (const b of batches.slice(0, 20)) await codec.decompress(await codec.compress(b)); // warm-up
    let compressed: Buffer[] = [];
    const rounds = 5;
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) compressed = await Promise.all(batches.map((b) => codec.compress(b)));
    const tc = (performance.now() - t0) / rounds;
    const t1 = performance.now();
    for (let r = 0; r < rounds; r++) await Promise.all(compressed.map((b) => codec.decompress(b)));
    const td = (performance.now() - t1) / rounds;
    const out = compressed.reduce((n, b) => n + b.length, 0);
    const mb = bytes / 1e6;
    rows.push(
      { metric: `${name} compress`, value: tc / mb, unit: 'ms/MB' },
      { metric: `${name} decompress`, value: td / mb, unit: 'ms/MB' },
      { metric: `${name} ratio`, value: out / bytes, unit: 'out/in' },
    );
  }
  return rows;
}
