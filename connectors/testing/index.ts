/**
 * The connectors' testing entry (test code only; production code never imports it): the HTTP endpoint standing in
 * for third parties, and command/result helpers over the broker test kit of topology/testing.
 */
export {
  startHttpEndpoint,
  TestHttpEndpoint,
  type RecordedRequest,
  type ResponseSpec,
  type Reply,
  type Handler,
  type OAuth2Options,
  type OAuth2Issuer,
  type RateLimitOptions,
} from './http-endpoint.js';
export { asRecords, command, createConnectorTopics, results, type TestTopics } from './connector-kit.js';
export { connectorSuite, httpSuite, type ConnectorSuite, type HttpSuite } from './connector-suite.js';
export type { ConnectorChildConfig } from './connector-process.js';
export { maxInWindow } from './rate.js';
