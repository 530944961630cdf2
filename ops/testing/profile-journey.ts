/**
 * Integration-test kit for profile lookup and manual exit: a journey that holds every profile on a wait before
 * one HTTP action, sign-up events for numbered profiles (no keys, like any producer), and a tail that collects
 * what the engine writes (step records, commands) with a consumer of its own, read_committed.
 */
import { createKafka, type Consumer } from '../../topology/index.js';

export const HOLD_JOURNEY = 'hold';

/** Resources for `hold`: sign-up (identity `email:<person.email>`) → wait `wait` → action `nudge` → end. */
export function holdResources(endpoint: string, wait: string) {
  return {
    events: [
      {
        id: 'signup',
        name: 'Sign-up',
        recognition: { eventType: 'account.signup' },
        identity: { namespace: 'email', path: 'person.email' },
      },
    ],
    actions: [
      {
        id: 'nudge',
        name: 'Nudge',
        type: 'http',
        url: `${endpoint}/nudge`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"to": {{params.email}}}',
        timeoutMs: 2000,
      },
    ],
    journey: {
      id: HOLD_JOURNEY,
      name: 'Hold, then nudge',
      namespace: 'email',
      entry: { event: 'signup' },
      reentrance: { allowed: false },
      start: 'hold',
      nodes: {
        hold: { type: 'wait', duration: wait, next: 'nudge' },
        nudge: { type: 'action', action: 'nudge', params: { email: { var: 'event.xdm.person.email' } }, next: 'done' },
        done: { type: 'end' },
      },
    },
  };
}

/** The e-mail of profile `i`; its profile key is `email:<that>`. */
export const emailOf = (i: number) => `p${i}@example.com`;
export const profileKeyOf = (i: number) => `email:${emailOf(i)}`;

/** Sends one sign-up per profile index, without keys. */
export async function produceSignups(brokers: string[], topic: string, indexes: readonly number[]): Promise<void> {
  const producer = createKafka({ brokers, clientId: 'profile-kit', logLevel: 'nothing' }).producer();
  await producer.connect();
  try {
    const now = new Date().toISOString();
    const messages = indexes.map((i) => ({
      value: JSON.stringify({
        _id: `signup-${i}`,
        timestamp: now,
        eventType: 'account.signup',
        person: { email: emailOf(i) },
      }),
    }));
    for (let i = 0; i < messages.length; i += 500)
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
  } finally {
    await producer.disconnect();
  }
}

export interface TailRecord {
  readonly topic: string;
  readonly key: string | null;
  readonly value: Record<string, unknown>;
}

/** Collects every committed record of `topics` from the beginning until `stop`. */
export class TopicTail {
  readonly records: TailRecord[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: string[], topics: readonly string[], groupId: string): Promise<TopicTail> {
    const consumer = createKafka({ brokers, clientId: groupId, logLevel: 'nothing' }).consumer({
      groupId,
      readUncommitted: false,
    });
    const tail = new TopicTail(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (!message.value) return;
        tail.records.push({
          topic,
          key: message.key?.toString('utf8') ?? null,
          value: JSON.parse(message.value.toString('utf8')) as Record<string, unknown>,
        });
      },
    });
    return tail;
  }

  of(topic: string): TailRecord[] {
    return this.records.filter((r) => r.topic === topic);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/** Steps of step records on `records` with the given status and reason, as `[profileKey, step]`. */
export function stepsWith(records: readonly TailRecord[], status: string, reason?: string) {
  const out: Array<{ profileKey: string; nodeId: string }> = [];
  for (const r of records) {
    const steps = (r.value['steps'] ?? []) as Array<{ status: string; reason?: string; nodeId: string }>;
    for (const s of steps)
      if (s.status === status && (reason === undefined || s.reason === reason))
        out.push({ profileKey: String(r.value['profileKey']), nodeId: s.nodeId });
  }
  return out;
}
