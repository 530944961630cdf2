/**
 * The set-up every broker-backed test file repeats, once: a client on the shared broker (or a private one), an
 * admin connected before the tests, the file's child processes, all closed after them. Call it at the top level
 * of a test file.
 */
import { afterAll, beforeAll } from 'vitest';
import type { KafkaJsAdmin as Admin, KafkaJsClient } from '../kafka/kafka-client.js';
import { testBrokers } from './broker-env.js';
import { TestChildren } from './child-processes.js';
import { testKafka } from './kafka-io.js';

export interface BrokerSuite {
  readonly kafka: KafkaJsClient;
  /** Connected before the file's tests run, disconnected after. */
  readonly admin: Admin;
  /** SIGKILLed after the file's tests, before the admin disconnects. */
  readonly children: TestChildren;
}

export function brokerSuite(clientId: string, brokers: () => string[] = testBrokers): BrokerSuite {
  let kafka: KafkaJsClient | undefined;
  let admin: Admin | undefined;
  // a private broker's address is known only once its beforeAll has started it: make the clients on first use
  const client = () => (kafka ??= testKafka(brokers(), clientId));
  const suite: BrokerSuite = {
    get kafka() {
      return client();
    },
    get admin() {
      return (admin ??= client().admin());
    },
    children: new TestChildren(),
  };
  beforeAll(() => suite.admin.connect());
  afterAll(async () => {
    suite.children.killAll();
    await admin?.disconnect();
  });
  return suite;
}
