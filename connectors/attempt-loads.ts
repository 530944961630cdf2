/**
 * Reads the attempt log once per command partition new to a consumer session, before its first command is
 * answered, so calls made by an earlier incarnation are counted. Partitions arriving together share one read.
 */
import type { KafkaMessage, Timer } from '../topology/index.js';
import type { AttemptLoad, AttemptLog } from './attempt-log.js';

/** Clock skew allowed between the producer of a command and this connector when reading attempts back. */
const ATTEMPT_CLOCK_SKEW_MS = 60_000;

export class AttemptLoads {
  private readonly loads = new Map<number, Promise<void>>();
  private queue: Array<AttemptLoad & { resolve: () => void; reject: (err: unknown) => void }> = [];

  constructor(
    private readonly log: AttemptLog,
    private readonly timer: Timer,
  ) {}

  /** A new session: every partition is read again. */
  clear(): void {
    this.loads.clear();
  }

  /** The partition left and came back: read it again. */
  forget(partition: number): void {
    this.loads.delete(partition);
  }

  /**
   * Resolves once the attempt log has been read for `partition`, from the produce time of its oldest uncommitted
   * command (the first fetched).
   */
  loaded(partition: number, messages: readonly KafkaMessage[]): Promise<void> {
    const have = this.loads.get(partition);
    if (have) return have;
    const oldest = messages.reduce((t, m) => Math.min(t, Number(m.timestamp)), this.timer.now());
    const load = new Promise<void>((resolve, reject) => {
      this.queue.push({ partition, fromTimestamp: oldest - ATTEMPT_CLOCK_SKEW_MS, resolve, reject });
      if (this.queue.length === 1) void this.timer.sleep(20).then(() => this.run());
    });
    this.loads.set(partition, load);
    load.catch(() => {
      if (this.loads.get(partition) === load) this.loads.delete(partition);
    });
    return load;
  }

  private async run(): Promise<void> {
    const batch = this.queue.splice(0);
    try {
      await this.log.load(batch);
      batch.forEach((b) => b.resolve());
    } catch (err) {
      batch.forEach((b) => b.reject(err));
    }
  }
}
