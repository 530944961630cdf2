/**
 * processors/journey/ — the journey domain, free of the stream runtime: the model (events, definitions, instance
 * state, outcomes), the compiled-journey adapter, the instance state machine and its graph walk, the rule
 * evaluator, the timer index, command rendering, event normalization and deterministic ids. The step adapters in
 * processors/steps/ call it; it never sees a `ProcessorContext`.
 */
export {
  normalizeEvent,
  normalizeEventNow,
  profileKeyOfPayload,
  recognitionOrder,
  applyMapping,
  NormalizeCodes,
  UNRECOGNIZED,
  type AvroDecode,
  type NormalizeInput,
  type NormalizeResult,
  type RegistryRetry,
} from './event-normalizer.js';
export { evaluateRule, evaluateWith, testRule, truthy, toEpoch, type RuleData } from './rules.js';
export { deterministicId, splitFraction, pickWeighted } from './ids.js';
export { isoAt } from './iso-time.js';
export { buildCommand, evaluateParams, actionNeeds, type CommandInput } from './command-builder.js';
export { defineJourney, fromCompiled, isRule, datasourcesIn } from './journey-def.js';
export { JourneyMachine, type Transition } from './journey-machine.js';
export { JourneyEngine, type JourneyCatalog, type ProfileState } from './journey-engine.js';
export { profileStateSerde } from './profile-state-serde.js';
export { TimerIndex, timerKey, timerSerde, InvalidTimerRecord, type InvalidTimerEntry } from './timer-index.js';
export { StoreFrequencyLedger, channelOf, type SendRecord } from './frequency-ledger.js';
export { StoreEntryLedger, partitionShare, type EntryCount } from './entry-ledger.js';
export { nextCronFire, nextRunAt } from './audience-schedule.js';
export { updatedProfile } from './profile-update.js';
export { toStepRecords } from './step-records.js';
export { countOutcome, type WaitingListener } from './node-report.js';
export * from './journey-model.js';
export { describeProfile, type ProfileJourneyView, type InstanceView, type WaitingFor } from './profile-view.js';
