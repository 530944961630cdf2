/**
 * The journey engine's names for what the stream runtime writes: the `jo.error.*`/`jo.source.*` dead-letter headers
 * and the `jo_` metric prefix of the product contract (schemas/). Every StreamsApp, InMemoryRunner and test driver
 * running a journey topology passes them (topology/ itself knows no product names).
 */
import { DlqHeaders, METRIC_PREFIX } from '../schemas/index.js';
import type { RuntimeNames } from '../topology/index.js';

export const journeyRuntimeNames: RuntimeNames = { deadLetterHeaders: DlqHeaders, metricPrefix: METRIC_PREFIX };
