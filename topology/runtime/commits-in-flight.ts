/**
 * The commits a task has in flight while its loop goes on processing: at most `depth` (the committer's), started in
 * order. A failure of any of them is kept and thrown at the loop's next step (`throwIfFailed`): the task must not
 * start another commit after one failed, and fails instead.
 */
export class CommitsInFlight {
  private readonly running = new Set<Promise<void>>();
  private failure: { readonly err: unknown } | undefined;

  /** `onSettled` runs after each commit settles (the task wakes its idle loop). */
  constructor(
    readonly depth: number,
    private readonly onSettled: () => void,
  ) {}

  /** No room for another commit. */
  get full(): boolean {
    return this.running.size >= this.depth;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Throws the first failure of a commit that settled in the background. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure.err;
  }

  /** Tracks a started commit; its failure is kept for `throwIfFailed`. */
  track(commit: Promise<void>): void {
    const tracked: Promise<void> = commit.then(
      () => this.settled(tracked),
      (err: unknown) => {
        this.failure ??= { err };
        this.settled(tracked);
      },
    );
    this.running.add(tracked);
  }

  private settled(p: Promise<void>): void {
    this.running.delete(p);
    this.onSettled();
  }

  /** Resolves when there is room for another commit. */
  async waitForRoom(): Promise<void> {
    while (this.full) await Promise.race(this.running);
  }

  /** Resolves when every commit in flight has settled (failures stay for `throwIfFailed`). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}
