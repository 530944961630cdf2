/**
 * kafkajs 2.2.4 (pinned; unmaintained upstream) is fixed by `patches/kafkajs+2.2.4.patch`, which `patch-package`
 * applies to node_modules on every install (the root package's `postinstall`). The patch is plain JS in kafkajs'
 * own files, each hunk marked `journey-engine patch`:
 *
 * 1. Encoder (wire bytes unchanged, less garbage): no zero-filled buffer per encoder and per growth, no one-off
 *    buffer per unsigned varint.
 * 2. Per-partition grouping of a send in linear time (kafkajs copied a partition's list once per message).
 * 3. Produce requests without compression: each partition's record batch encoded in one pass
 *    (`uncompressedPartition.js`; kafkajs built an encoder per record and copied every record four times).
 * 4. eachBatch also gets batches that hold only control markers (or only aborted records): the ReadCommittedFilter
 *    decides held records from those markers. kafkajs skipped such batches, so a transaction whose marker came in a
 *    fetch of its own stayed held until the partition's next data arrived.
 * 5. The transactional producer looks up its coordinators (the transactional id's, each consumer group's) once
 *    instead of before every AddPartitionsToTxn / AddOffsetsToTxn / TxnOffsetCommit / EndTxn, and again after a
 *    request to one fails with NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS or a
 *    connection error: 4 fewer sequential round trips per commit.
 * 6. AddPartitionsToTxn / AddOffsetsToTxn answered CONCURRENT_TRANSACTIONS (the previous commit's markers are still
 *    being written) are retried by the transaction manager after 1, 2, 4, 8, 16, 20… ms (30 attempts), instead of by
 *    the send's retrier (metadata refresh, an error log line and its full back-off per attempt).
 * 7. Fetch decoding: each record's offset and timestamp are the batch's base plus a delta added as numbers (kafkajs
 *    parsed the bases' decimal strings into BigInt Longs twice per record; Long maths is kept beyond 2^53), and a
 *    record is decoded in place from its batch (no buffer view and decoder per record). Same values out.
 * 8. A consumer option `memberId`: the consumer's first group joins with that member id (group-members.ts: a
 *    restarted process rejoins as the member its crashed predecessor was). kafkajs always joined as a new member.
 *    A consumer kafkajs restarts after a retriable crash rejoins with the id its crashed group had: after a broker
 *    outage the coordinator reloads that member, and a new member waited out its session (the connectors' 30 s)
 *    before the first assignment (`/readyz` 200 ~30 s after the broker was back; now ~1 s).
 * 9. The one-pass encoder of 3 makes no object, header array or timestamp string per record (per batch: typed arrays
 *    of timestamp deltas and record sizes; 13-digit numeric timestamps are ordered as numbers, which is their string
 *    order). Same bytes.
 * 10. A fetched batch keeps its messages at or after the fetched offset comparing decimal strings (longer is greater,
 *    equal lengths as strings) instead of parsing a Long per message; anything not a plain decimal is compared as
 *    shipped. Same messages.
 * 11. Compressed produce batches go through the one-pass encoder of 3 and 9 as well: the records are written once
 *    into one buffer, which the codec compresses (kafkajs built an encoder per record and copied the records three
 *    times first). The engine compresses its outputs with lz4 by default, so this was its produce path. Same bytes.
 * 12. KIP-447 building blocks (kafkajs has none): TxnOffsetCommit v2 and v3 (v3: flexible, with the consumer group
 *    metadata — generation id, member id, group instance id — so the group coordinator refuses a transaction's
 *    offsets from a member of an older generation, ILLEGAL_GENERATION, or one it does not know, UNKNOWN_MEMBER_ID);
 *    kafkajs negotiates v3 with brokers that have it, sending generation -1 and member id '' without metadata (the
 *    coordinator accepts those as it accepted v0/v1), and refuses a commit with metadata on a broker without v3.
 *    `transaction().sendOffsets({ ..., consumerGroupMetadata })`; `consumer.groupMetadata()` (the generation and
 *    member id the consumer's group last joined with); OffsetFetch v7 with require_stable, sent only by
 *    `admin.fetchOffsets({ requireStable: true })` (kafkajs' own fetches keep v1-v4), which a partition with offsets
 *    in an open transaction answers with UNSTABLE_OFFSET_COMMIT (retried by `kafkajs-port.ts`);
 *    `admin.fetchOffsets({ partitions })` asks for those partition indexes only (a stable fetch of a task's partition
 *    is then not held up by other partitions' open transactions). And the decoder's
 *    `readTaggedFields` skips a tagged field by its size (kafkajs read the size as a compact length, one short).
 * 13. A consumer crash that kafkajs restarts (a retriable error) no longer sends LeaveGroup on the way down: the
 *    restart rejoins as the crashed member (8), and a LeaveGroup that reached a broker just back from an outage
 *    made the coordinator refuse that rejoin (UNKNOWN_MEMBER_ID), so the consumer joined as a new member and the
 *    rebalance waited out the old member's session timeout.
 *
 * This module only checks, when the adapter loads, that the installed kafkajs is 2.2.4 and carries the patch at
 * the revision below (the marker file the patch adds), and throws KAFKA_CLIENT_UNPATCHED otherwise: an install
 * that skipped the postinstall (`--ignore-scripts`) must not run with the shipped kafkajs unnoticed.
 */
import { createRequire } from 'node:module';
import { topologyCodes } from '../codes.js';

const require = createRequire(import.meta.url);

export const KAFKAJS_VERSION = '2.2.4';
/** The `revision` of `kafkajs/src/journeyEnginePatch.js` the patch in the repo adds (raised with every change). */
export const KAFKAJS_PATCH_REVISION = 11;

/** What is wrong with the installed kafkajs (its version, and its patch marker or undefined), or undefined. */
export function kafkaJsPatchProblem(version: string, marker: { revision?: unknown } | undefined): string | undefined {
  const fix =
    'run `npm ci` in the engine directory (its postinstall applies the patch; needed after an update that changed it), or `npx patch-package` after an install with --ignore-scripts';
  if (version !== KAFKAJS_VERSION) return `kafkajs ${version} is installed; the engine needs ${KAFKAJS_VERSION}`;
  if (!marker) return `kafkajs ${version} is not patched by patches/kafkajs+${KAFKAJS_VERSION}.patch: ${fix}`;
  if (marker.revision !== KAFKAJS_PATCH_REVISION)
    return `kafkajs carries patch revision ${String(marker.revision)}, the engine needs ${KAFKAJS_PATCH_REVISION}: ${fix}`;
  return undefined;
}

function installedMarker(): { revision?: unknown } | undefined {
  try {
    return require('kafkajs/src/journeyEnginePatch.js') as { revision?: unknown };
  } catch (e) {
    if ((e as { code?: unknown }).code === 'MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

const problem = kafkaJsPatchProblem(
  (require('kafkajs/package.json') as { version: string }).version,
  installedMarker(),
);
if (problem) throw topologyCodes.error('KAFKA_CLIENT_UNPATCHED', problem);
