/**
 * Java-compatible murmur2, exactly as `org.apache.kafka.common.utils.Utils.murmur2`, so a record keyed here lands
 * on the same partition as one produced by the Java client's default partitioner (and kafkajs' DefaultPartitioner).
 */
export function murmur2(data: Buffer): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = 0x9747b28c ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data.readInt32LE(i4);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const index = length4 << 2;
  const rest = length & 3;
  if (rest === 3) h ^= (data[index + 2] ?? 0) << 16;
  if (rest >= 2) h ^= (data[index + 1] ?? 0) << 8;
  if (rest >= 1) {
    h ^= data[index] ?? 0;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Partition of a keyed record under Kafka's default partitioner. */
export function partitionForKey(key: Buffer, numPartitions: number): number {
  return (murmur2(key) & 0x7fffffff) % numPartitions;
}
