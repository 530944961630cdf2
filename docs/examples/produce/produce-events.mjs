// Sends each line of stdin (one JSON event per line) to a Kafka topic, without a key, the way any producer would:
//   node docs/examples/produce/produce-events.mjs jo.events < events.jsonl
// Brokers from KAFKA_BROKERS (default 127.0.0.1:9092). Plain kafkajs: nothing of the engine's own code.
import { createInterface } from 'node:readline';
import { Kafka, Partitioners, logLevel } from 'kafkajs';

const topic = process.argv[2];
if (!topic) {
  console.error('usage: node produce-events.mjs TOPIC < events.jsonl');
  process.exit(2);
}
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const messages = [];
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim()) messages.push({ value: JSON.stringify(JSON.parse(line)) });
}
const kafka = new Kafka({ clientId: 'docs-example', brokers, logLevel: logLevel.NOTHING });
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
await producer.send({ topic, acks: -1, messages });
await producer.disconnect();
console.log(`sent ${messages.length} event(s) to ${topic}`);
