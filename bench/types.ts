/** Shared shapes of benchmark modules (bench/<name>.ts export `run(ctx): Promise<BenchRow[]>`). */
export interface BenchContext {
  /** Real broker addresses. */
  readonly brokers: string[];
  /** Progress output on long work. */
  readonly log: (msg: string) => void;
}

export interface BenchRow {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** The target from the issue, e.g. ">= 10000". */
  readonly target?: string;
  readonly note?: string;
}
