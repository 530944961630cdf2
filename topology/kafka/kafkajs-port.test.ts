import type * as KafkaJs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { asGroupConsumer } from './kafkajs-port.js';

/** A kafkajs consumer whose subscribe fails with `errors` in turn, then succeeds; it counts the calls. */
function consumerFailing(errors: Error[]) {
  const calls: unknown[] = [];
  const consumer = {
    subscribe: async (s: unknown) => {
      calls.push(s);
      const err = errors.shift();
      if (err) throw err;
    },
  };
  return { consumer: consumer as unknown as KafkaJs.Consumer, calls };
}

const kafkaError = (type: string) => Object.assign(new Error(type), { type, retriable: true });

describe('asGroupConsumer subscribe', () => {
  it('tries again while the broker answers UNKNOWN_TOPIC_OR_PARTITION for a topic it has just created', async () => {
    const { consumer, calls } = consumerFailing([
      kafkaError('UNKNOWN_TOPIC_OR_PARTITION'),
      kafkaError('UNKNOWN_TOPIC_OR_PARTITION'),
    ]);
    await asGroupConsumer(consumer).subscribe({ topics: ['t'], fromBeginning: true });
    expect(calls).toEqual([1, 2, 3].map(() => ({ topics: ['t'], fromBeginning: true })));
  });

  it('throws other errors at once', async () => {
    const { consumer, calls } = consumerFailing([kafkaError('TOPIC_AUTHORIZATION_FAILED')]);
    await expect(asGroupConsumer(consumer).subscribe({ topics: ['t'] })).rejects.toThrow('TOPIC_AUTHORIZATION_FAILED');
    expect(calls).toHaveLength(1);
  });
});
