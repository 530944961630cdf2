/** {@link brokerSuite} for tests of StreamsApps on the real broker: apps closed after the file's tests, topics. */
import { afterAll } from 'vitest';
import { StreamsApp, type StreamsAppOptions } from '../runtime/streams-app.js';
import { brokerSuite, extendSuite, type BrokerSuite } from './broker-suite.js';
import { uniqueName } from './broker-env.js';
import { createTopics } from './kafka-io.js';

export interface StreamsSuite extends BrokerSuite {
  /** A StreamsApp on the suite's client (session timeout 6 s unless given), closed after the file's tests. */
  readonly app: (opts: Omit<StreamsAppOptions, 'kafka'>) => StreamsApp;
  /** Creates one topic per entry of `spec` (name → partitions) under a unique name; returns the names. */
  readonly topics: <K extends string>(spec: Readonly<Record<K, number>>) => Promise<Record<K, string>>;
}

export function streamsSuite(clientId: string): StreamsSuite {
  const suite = brokerSuite(clientId);
  const apps: StreamsApp[] = [];
  afterAll(() => Promise.all(apps.map((a) => a.close())));
  return extendSuite(suite, {
    app: (opts: Omit<StreamsAppOptions, 'kafka'>) => {
      const a = new StreamsApp({ kafka: suite.kafka, sessionTimeoutMs: 6_000, ...opts });
      apps.push(a);
      return a;
    },
    topics: async <K extends string>(spec: Readonly<Record<K, number>>) => {
      const names = {} as Record<K, string>;
      for (const k of Object.keys(spec) as K[]) names[k] = uniqueName(`t-${k}`);
      await createTopics(
        suite.admin,
        (Object.keys(spec) as K[]).map((k) => ({ name: names[k], partitions: spec[k] })),
      );
      return names;
    },
  });
}
