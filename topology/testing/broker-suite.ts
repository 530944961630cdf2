/**
 * The set-up every broker-backed test file repeats, once: a client on the shared broker (or a private one), an
 * admin connected before the tests, the file's child processes, all closed after them. Call it at the top level
 * of a test file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { KafkaJsAdmin as Admin, KafkaJsClient } from '../kafka/kafka-client.js';
import { testBrokers } from './broker-env.js';
import { startPrivateBroker, type PrivateBroker } from './private-broker.js';
import { TestChildren } from './child-processes.js';
import { testKafka } from './kafka-io.js';

export interface BrokerSuite {
  readonly kafka: KafkaJsClient;
  /** Connected before the file's tests run, disconnected after. */
  readonly admin: Admin;
  /** SIGKILLed after the file's tests, before the admin disconnects. */
  readonly children: TestChildren;
  /** A fresh temporary directory (state directories), removed after the file's tests. */
  readonly tempDir: (prefix: string) => string;
}

export function brokerSuite(clientId: string, brokers: () => string[] = testBrokers): BrokerSuite {
  let kafka: KafkaJsClient | undefined;
  let admin: Admin | undefined;
  // a private broker's address is known only once its beforeAll has started it: make the clients on first use
  const client = () => (kafka ??= testKafka(brokers(), clientId));
  const dirs: string[] = [];
  const suite: BrokerSuite = {
    get kafka() {
      return client();
    },
    get admin() {
      return (admin ??= client().admin());
    },
    children: new TestChildren(),
    tempDir: (prefix) => {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
  };
  beforeAll(() => suite.admin.connect());
  afterAll(async () => {
    suite.children.killAll();
    await admin?.disconnect();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return suite;
}

export interface PrivateBrokerSuite extends BrokerSuite {
  /** The file's own broker: started before its tests (and before the admin connects), destroyed after them. */
  readonly broker: PrivateBroker;
}

/**
 * {@link brokerSuite} on a broker of the file's own, for tests that stop, SIGKILL or restart it (never the shared
 * one). `ports` are the test's private ports (see the helpers' port plan in the test README).
 */
export function privateBrokerSuite(clientId: string, ports: { kafka: number; controller: number }): PrivateBrokerSuite {
  let broker: PrivateBroker | undefined;
  const started = () => {
    if (!broker) throw new Error('the private broker is not started yet (use it inside a test or hook)');
    return broker;
  };
  // registered before brokerSuite's hooks: the broker is up before the admin connects, and goes after it left
  beforeAll(() => void (broker = startPrivateBroker(ports)), 320_000);
  afterAll(() => broker?.destroy(), 60_000);
  const suite = brokerSuite(clientId, () => started().brokers);
  return extendSuite(suite, {
    get broker() {
      return started();
    },
  });
}

/** `base` with `extra`'s members added; base's lazy members (clients made on first use) stay lazy. */
export function extendSuite<B extends object, E extends object>(base: B, extra: E): B & E {
  return Object.defineProperties(Object.create(base) as B, Object.getOwnPropertyDescriptors(extra)) as B & E;
}
