/**
 * A worker thread of `jo replay`, started by replay-shards.ts as soon as the command starts (loading the code
 * overlaps reading the configuration); its first message is the shard's setup. One shard's simulation: applies the
 * messages of its port in order and answers each (done, the counts at the end, or the first failure). It reads
 * nothing from the broker and writes nothing anywhere.
 */
import { parentPort } from 'node:worker_threads';
import { ReplayShard, type ShardMessage, type ShardReply } from './replay-shard.js';

const port = parentPort;
if (!port) throw new Error('replay-worker.ts runs as a worker thread');
let shard: ReplayShard | undefined;
const reply = (r: ShardReply) => port.postMessage(r);
let chain = Promise.resolve();
let failed = false;

port.on('message', (m: ShardMessage) => {
  chain = chain.then(async () => {
    if (failed) return;
    try {
      if (m.type === 'setup') {
        shard = await ReplayShard.create(m.setup);
        return reply({ type: 'done' });
      }
      if (!shard) throw new Error('a replay shard got input before its setup');
      const counts = await shard.apply(m);
      if (!counts) return reply({ type: 'done' });
      await shard.close();
      reply({ type: 'counts', counts });
    } catch (err) {
      failed = true;
      const e = err instanceof Error ? err : new Error(String(err));
      reply({ type: 'failed', message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
    }
  });
});
