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
export { createTopics, produce, readCommitted, testKafka } from './fixtures/kafka-io.js';
