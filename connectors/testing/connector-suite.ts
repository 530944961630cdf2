/**
 * The set-up the connectors' test files repeat, once: the HTTP endpoint standing in for third parties, an
 * HttpClient allowed to call it, the broker suite of topology/testing, connectors started by the tests (stopped
 * after them) and connector processes (SIGKILLed after them). Call these at the top level of a test file.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll } from 'vitest';
import { parseOutboundPolicy } from '../../schemas/index.js';
import { brokerSuite, extendSuite, type BrokerSuite } from '../../topology/testing/index.js';
import type { CommandConsumer } from '../command-consumer.js';
import { HttpClient, type HttpClientOptions } from '../http-client.js';
import { LimitRegistry } from '../limits.js';
import type { ConnectorChildConfig } from './connector-process.js';
import { TestHttpEndpoint } from './http-endpoint.js';

export interface HttpSuite {
  /** Listening before the file's tests, closed after them. */
  readonly ep: TestHttpEndpoint;
  /** Outbound allowed to 127.0.0.1, its own LimitRegistry; closed after the file's tests. */
  readonly http: HttpClient;
}

export function httpSuite(options: HttpClientOptions = {}): HttpSuite {
  const ep = TestHttpEndpoint.forSuite();
  const http = new HttpClient({
    outbound: parseOutboundPolicy(['127.0.0.1']),
    limits: new LimitRegistry(),
    ...options,
  });
  afterAll(() => http.close());
  return { ep, http };
}

export interface ConnectorSuite extends BrokerSuite, HttpSuite {
  /** Connectors started by the tests: stopped after them, first of all. */
  readonly running: CommandConsumer[];
  /** Starts a connector process (connector-process.ts); resolves once it has joined its group. */
  readonly startConnectorChild: (config: ConnectorChildConfig) => Promise<ChildProcess>;
}

export function connectorSuite(clientId: string, options: HttpClientOptions = {}): ConnectorSuite {
  const broker = brokerSuite(clientId);
  const web = httpSuite(options);
  const running: CommandConsumer[] = [];
  afterAll(() => Promise.all(running.map((c) => c.stop())));
  return extendSuite(extendSuite(broker, web), {
    running,
    startConnectorChild: (config: ConnectorChildConfig) =>
      broker.children.start(new URL('./connector-process.ts', import.meta.url), {
        env: { JO_TEST_CONNECTOR: JSON.stringify(config) },
      }),
  });
}
