/**
 * One mechanism for "a consumer crashed": kafkajs emits CRASH and either restarts the consumer itself (retriable
 * errors) or leaves it stopped for good. Either way the consumer is down until it has joined its group again, and
 * readiness must say so; when kafkajs gives up, the owner rebuilds the consumer after a growing pause.
 */
import type { Consumer } from '../kafka/kafka-client.js';
import type { Timer } from '../api/timer.js';

export interface ConsumerWatchOptions {
  /** Rebuilds the consumer (disconnect the old one, create, connect, subscribe, run); called after kafkajs gave up. */
  readonly restart: () => Promise<void>;
  readonly timer: Pick<Timer, 'sleep'>;
  /**
   * Pause before the n-th restart in a row (1-based); default 0.5 s doubling up to 5 s. The cap is short on purpose:
   * during a broker outage every restart fails, and the pause after the broker is back is how long readiness and
   * processing lag behind it (a 30 s cap made a 10 s outage cost up to 40 s). One connect attempt every 5 s is cheap.
   */
  readonly backoffMs?: (n: number) => number;
  /** Stops restarts (the owner is closing). */
  readonly stopped: () => boolean;
  readonly log?: (level: 'warn' | 'info', msg: string, extra: Record<string, unknown>) => void;
}

/** Tracks one logical consumer across its incarnations: `watch` each new kafkajs consumer before `run`. */
export class ConsumerWatch {
  private up = false;
  private restarts = 0;
  private restarting = false;
  private crashCount = 0;

  constructor(private readonly opts: ConsumerWatchOptions) {}

  /** False from a crash until the consumer (or its replacement) has joined its group again. */
  get healthy(): boolean {
    return this.up;
  }

  /** Crashes seen so far (for tests and metrics). */
  get crashes(): number {
    return this.crashCount;
  }

  watch(consumer: Consumer): void {
    consumer.onGroupJoin(() => {
      this.up = true;
      this.restarts = 0;
    });
    consumer.onCrash((e) => {
      this.up = false;
      this.crashCount++;
      const restart = e.restart;
      this.opts.log?.('warn', 'consumer crashed', { err: String(e.error), kafkajsRestarts: restart });
      if (!restart) void this.rebuild();
    });
  }

  private async rebuild(): Promise<void> {
    if (this.restarting) return;
    this.restarting = true;
    try {
      while (!this.opts.stopped()) {
        const n = ++this.restarts;
        await this.opts.timer.sleep(this.opts.backoffMs?.(n) ?? Math.min(5_000, 500 * 2 ** (n - 1)));
        if (this.opts.stopped()) return;
        try {
          await this.opts.restart();
          this.opts.log?.('info', 'consumer restarted', { restarts: n });
          return;
        } catch (err) {
          this.opts.log?.('warn', 'consumer restart failed; trying again', { err: String(err), restarts: n });
        }
      }
    } finally {
      this.restarting = false;
    }
  }
}
