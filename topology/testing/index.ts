/**
 * topology/testing — test kits for unit and integration tests of code built on topology/. Import it only from
 * tests, test harnesses and benchmarks; production code never does (topology/index.ts does not re-export it).
 */
export {
  TopologyTestDriver,
  type ChangelogEntry,
  type PipeOptions,
  type PipeValue,
  type ReadOptions,
  type TestDriverOptions,
  type TestOutputRecord,
} from './test-driver.js';
export { ManualClock } from '../api/clock.js';
export { InMemoryMetrics } from '../api/metrics.js';
export {
  FaultSwitch,
  InMemoryTransactionalProducer,
  faultyProducer,
  type CommittedTransaction,
  type FaultPlan,
  type TxnStep,
} from './fault-injection.js';
// The ONE broker-backed test kit: every folder's integration tests use it (ops/testing re-exports it).
export { testBrokers, testRegistryUrl, uniqueName } from './broker-env.js';
export {
  brokerSuite,
  extendSuite,
  privateBrokerSuite,
  type BrokerSuite,
  type PrivateBrokerSuite,
} from './broker-suite.js';
export { TestChildren, exited, type StartOptions } from './child-processes.js';
export {
  createTopics,
  produce,
  readCommitted,
  readJson,
  testKafka,
  waitFor,
  type Input,
  type ReadRecord,
  type ReadUntil,
  type TopicSpec,
} from './kafka-io.js';
export { startPrivateBroker, privateInfraDir, sourceLibs, type PrivateBroker } from './private-broker.js';
export { streamsSuite, type StreamsSuite } from './streams-suite.js';
export { countingTopology, type CountingOptions } from './fixtures/counting.js';
export { stringPipeline, type StringPipelineOptions } from './fixtures/string-pipeline.js';
export { exactlyOnceProblems, expectedCounts } from './fixtures/verify.js';
export type { KafkaJsAdmin, KafkaJsClient, KafkaJsConsumer, KafkaJsProducer } from '../kafka/kafka-client.js';
