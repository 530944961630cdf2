/**
 * topology/'s error codes (see api/error-codes.ts): the runtime's dead-letter codes, start-up checks and the
 * state-store layer. docs/errors.md is generated from this table.
 */
import { defineErrorCodes } from './api/error-codes.js';

export const topologyCodes = defineErrorCodes('topology', {
  CONFIG_INVALID: { retryable: false, doc: 'start-up configuration is invalid; every problem is listed' },
  KAFKA_CLIENT_UNPATCHED: {
    retryable: false,
    doc: 'the installed kafkajs is not 2.2.4 or lacks `patches/kafkajs+2.2.4.patch` (an update changed the patch since the last `npm ci`, or the install skipped the `postinstall` step with `--ignore-scripts`): run `npm ci` in the engine directory, or `npx patch-package` after an install with `--ignore-scripts` (start-up)',
  },
  DESERIALIZATION_FAILED: {
    retryable: false,
    doc: "a source record's key or value could not be deserialized; it was dead-lettered",
  },
  BATCH_UNDECODABLE: {
    retryable: false,
    doc: 'a fetched batch could not be decompressed (corrupt, or over `JO_MAX_DECOMPRESSED_BATCH_BYTES`); its compressed bytes were dead-lettered and its records skipped',
  },
  OUTPUT_TOO_LARGE: {
    retryable: false,
    doc: "an output record (a processor output or a changelog write) is over `maxOutputRecordBytes` (default 1,000,000, under the broker's `max.message.bytes`); it goes to the app's dead-letter topic with its key (when small), no value, and the source record's position, instead of failing every commit of its task. A changelog write dead-lettered this way is missing after a restore. A dead letter that is itself over the limit (an event over `JO_MAX_EVENT_BYTES` always is) keeps its own code, e.g. `EVENT_TOO_LARGE`, without its value",
  },
  PROCESSING_FAILED: {
    retryable: false,
    doc: 'a processor threw a non-`JoError` error for a record; it was dead-lettered',
  },
  PUNCTUATION_FAILED: {
    retryable: true,
    doc: "a punctuator threw (a non-`JoError` error; a `JoError` keeps its own code), counted in the app's `punctuation_errors_total` metric (under its metric prefix): the task's open transaction is aborted with the punctuation's partial writes, its stores rolled back, and the task relaunched (with backoff) so the punctuation runs again; under the `stop` error policy the app stops",
  },
  TASK_PROCESSING_STOPPED: {
    retryable: false,
    doc: 'a processor threw under the `stop` error policy; the app closes and reports it',
  },
  COMMIT_AFTER_FAILURE: {
    retryable: true,
    doc: 'a commit was attempted after an earlier transaction of the same producer failed; refused (nothing sent): the task or connector is rebuilt from its last committed transaction',
  },
  TOPOLOGY_COPARTITION_MISMATCH: {
    retryable: false,
    doc: 'topics read by one sub-topology have different partition counts (start-up)',
  },
  TOPOLOGY_TOPIC_MISSING: { retryable: false, doc: 'a source topic of the topology does not exist (start-up)' },
  TOPOLOGY_INTERNAL_TOPIC_MISMATCH: {
    retryable: false,
    doc: 'an existing changelog or repartition topic has the wrong partition count (start-up)',
  },
  STORE_OPEN_FAILED: {
    retryable: true,
    doc: 'a RocksDB state store could not be opened (e.g. its directory is still locked by a closing owner)',
  },
  STORE_IO: {
    retryable: false,
    doc: 'a RocksDB read or write failed; the task is closed and its state rebuilt from the changelog',
  },
  STORE_CLOSED: { retryable: false, doc: 'a state store was used after it was closed (a runtime bug)' },
  STORE_INVALID_NAME: {
    retryable: false,
    doc: 'a task id or store name cannot be used as a directory name (`[A-Za-z0-9._-]{1,200}`)',
  },
  STORE_CHECKPOINT_INVALID: {
    retryable: false,
    doc: "a task's `.checkpoint` file is unreadable or points beyond the changelog end; the task's state is wiped and restored from the changelog",
  },
  STORE_RESTORE_FAILED: {
    retryable: true,
    doc: 'reading a changelog topic during restore failed (broker error, missing partition)',
  },
  STORE_RESTORE_ABORTED: { retryable: true, doc: 'a changelog restore was aborted (task revoked or process stopping)' },
  STORE_CHANGELOG_INVALID: {
    retryable: false,
    doc: 'a changelog record cannot be applied to its store (it has no key)',
  },
});

export type TopologyCode = keyof typeof topologyCodes.codes;
