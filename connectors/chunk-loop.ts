/**
 * The chunk loop of a command consumer's batch: answers `maxInFlight` commands at a time and commits each chunk's
 * answers with its offset in one transaction (group-commit.ts), chunks in order.
 *
 * Pipelined (the throttle queue's consumer): the next chunk is answered while the previous one's transaction
 * commits, so a throttled action keeps its rate through the commits. Its answers are committed only after the
 * previous chunk's transaction succeeded; when that failed, the loop waits for the next chunk's answers before it
 * gives up, so they are cached (command-answers.ts) and a re-delivery reuses them instead of calling again. The
 * price: a SIGKILL or a lost partition repeats the calls of up to two chunks instead of one (same Idempotency-Key).
 */
import type { KafkaMessage, OutRecord } from '../topology/index.js';

export interface ChunkLoopSteps {
  readonly maxInFlight: number;
  /** Answer the next chunk while the previous one commits. */
  readonly pipelined: boolean;
  /** False once the batch went stale or the consumer is stopping: no new chunk starts. */
  readonly running: () => boolean;
  readonly answer: (m: KafkaMessage) => Promise<OutRecord>;
  /** Writes the chunk's answers and commits its offsets (one transaction); rejects when that failed. */
  readonly commit: (chunk: readonly KafkaMessage[], outs: readonly OutRecord[]) => Promise<void>;
  /** After a chunk committed: resolve its offset and heartbeat (a rejection ends the batch, as kafkajs wants). */
  readonly committed: (last: KafkaMessage) => Promise<void>;
  /** Commands taken and not yet committed: +n when a chunk starts, −n when it ended either way. */
  readonly track: (delta: number) => void;
  /** A chunk failed (answering or its transaction): the consumer recovers. */
  readonly failed: (err: unknown) => void;
}

/** Answers and commits `messages` chunk by chunk; false when a chunk failed or the loop stopped before the end. */
export async function answerInChunks(messages: readonly KafkaMessage[], s: ChunkLoopSteps): Promise<boolean> {
  let previous: Promise<boolean> = Promise.resolve(true);
  for (let i = 0; i < messages.length; i += s.maxInFlight) {
    if (!s.running()) return (await previous) && false;
    const chunk = messages.slice(i, i + s.maxInFlight);
    s.track(chunk.length);
    const answers = Promise.all(chunk.map((m) => s.answer(m)));
    // handled here; awaited again below (an answering failure is reported once, by the chunk's commit step)
    answers.catch(() => undefined);
    let ok = false;
    try {
      ok = await previous;
    } finally {
      if (!ok) {
        // the previous chunk failed: let this one's calls finish (their answers are cached), then give up
        await answers.catch(() => undefined);
        s.track(-chunk.length);
      }
    }
    if (!ok) return false;
    previous = commitChunk(chunk, answers, s);
    if (!s.pipelined && !(await previous)) return false;
  }
  return previous;
}

async function commitChunk(
  chunk: readonly KafkaMessage[],
  answers: Promise<OutRecord[]>,
  s: ChunkLoopSteps,
): Promise<boolean> {
  const last = chunk[chunk.length - 1];
  try {
    await s.commit(chunk, await answers);
  } catch (err) {
    s.failed(err);
    return false;
  } finally {
    s.track(-chunk.length);
  }
  if (last) await s.committed(last);
  return true;
}
