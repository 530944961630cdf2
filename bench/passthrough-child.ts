/**
 * The reference of the engine benchmark: a plain kafkajs consume→produce pass-through (no transactions, batches
 * as they come) of BENCH_N records from BENCH_IN to BENCH_OUT. Prints `RATE <records/s>` (first batch → last ack).
 */
import { randomUUID } from 'node:crypto';
import { createKafka } from '../topology/index.js';

const brokers = (process.env['BENCH_BROKERS'] ?? '127.0.0.1:9092').split(',');
const input = process.env['BENCH_IN'] ?? '';
const output = process.env['BENCH_OUT'] ?? '';
const n = Number(process.env['BENCH_N'] ?? 0);

const kafka = createKafka({ brokers, clientId: 'bench-passthrough', logLevel: 'nothing' });
const admin = kafka.admin();
await admin.connect();
const meta = await admin.fetchTopicMetadata({ topics: [input] });
await admin.createTopics({
  waitForLeaders: true,
  topics: [{ topic: output, numPartitions: meta.topics[0]?.partitions.length ?? 1 }],
});
await admin.disconnect();
const producer = kafka.producer();
const consumer = kafka.consumer({ groupId: `bench-pt-${randomUUID()}` });
await Promise.all([producer.connect(), consumer.connect()]);
await consumer.subscribe({ topic: input, fromBeginning: true });
let done = 0;
let first = 0;
let last = 0;
await new Promise<void>((resolve) => {
  void consumer.run({
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => {
      if (first === 0) first = performance.now();
      await producer.send({
        topic: output,
        messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      });
      done += batch.messages.length;
      last = performance.now();
      if (done >= n) resolve();
    },
  });
});
process.stdout.write(`RATE ${((done - 1) / ((last - first) / 1000)).toFixed(0)}\n`);
await consumer.disconnect();
await producer.disconnect();
