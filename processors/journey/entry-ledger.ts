/**
 * Journey entry caps (`maxEntriesPerDay`, `maxConcurrentInstances`): per partition, the entries of the current
 * UTC day and the instances running, kept in a change-logged store of the task and written in the same transaction
 * as the steps that count, so the counts are exact per partition and survive restarts and rebalances.
 *
 * A cap is per installation; each of the `partitions` partitions admits its share of it (the shares add up to the
 * cap, e.g. 10 over 6 partitions: 2, 2, 2, 2, 1, 1). So the cap is never exceeded, and it is approximate in the
 * other direction: under skew a partition can refuse while another still has room. Exact installation-wide
 * counting would route every entry through one partition (a global lock); profile-partitioned counting keeps
 * entries lock-free and local, as the issue asks of all per-profile counting.
 *
 * Only versions that set a cap are counted, from when they go live; running instances are counted per version.
 */
import type { KeyValueStore } from '../../topology/index.js';
import type { EntryLedger, JourneyDef } from './journey-model.js';

/** Store value: entries on `day` (UTC `YYYY-MM-DD`), or instances running (`running`). */
export interface EntryCount {
  readonly day?: string;
  readonly count: number;
}

const DAY_MS = 86_400_000;

function utcDay(now: number): string {
  return new Date(Math.floor(now / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** This partition's share of `cap` over `partitions` partitions (the shares add up to `cap`). */
export function partitionShare(cap: number, partitions: number, partition: number): number {
  const p = Math.max(1, partitions);
  return Math.floor(cap / p) + (partition % p < cap % p ? 1 : 0);
}

export class StoreEntryLedger implements EntryLedger {
  constructor(
    private readonly store: KeyValueStore<EntryCount>,
    private readonly partitions: number,
    private readonly partition: number,
  ) {}

  private share(cap: number): number {
    return partitionShare(cap, this.partitions, this.partition);
  }

  /** Synchronous (undefined) for a journey without caps. */
  admit(def: JourneyDef, now: number): string | undefined | Promise<string | undefined> {
    const { maxEntriesPerDay, maxConcurrentInstances } = def.config;
    if (maxEntriesPerDay === undefined && maxConcurrentInstances === undefined) return undefined;
    return this.admitCapped(def, now);
  }

  private async admitCapped(def: JourneyDef, now: number): Promise<string | undefined> {
    const { maxEntriesPerDay, maxConcurrentInstances } = def.config;
    if (maxEntriesPerDay !== undefined) {
      const today = await this.store.get(`day/${def.id}`);
      const n = today?.day === utcDay(now) ? today.count : 0;
      if (n >= this.share(maxEntriesPerDay)) return 'maxEntriesPerDay';
    }
    if (maxConcurrentInstances !== undefined) {
      const running = (await this.store.get(`running/${def.id}/${def.version}`))?.count ?? 0;
      if (running >= this.share(maxConcurrentInstances)) return 'maxConcurrentInstances';
    }
    return undefined;
  }

  /** Synchronous for a journey without caps. */
  entered(def: JourneyDef, now: number): void | Promise<void> {
    const { maxEntriesPerDay, maxConcurrentInstances } = def.config;
    if (maxEntriesPerDay === undefined && maxConcurrentInstances === undefined) return;
    return this.enteredCapped(def, now);
  }

  private async enteredCapped(def: JourneyDef, now: number): Promise<void> {
    const { maxEntriesPerDay, maxConcurrentInstances } = def.config;
    if (maxEntriesPerDay !== undefined) {
      const key = `day/${def.id}`;
      const day = utcDay(now);
      const today = await this.store.get(key);
      await this.store.put(key, { day, count: (today?.day === day ? today.count : 0) + 1 });
    }
    if (maxConcurrentInstances !== undefined) await this.addRunning(def, 1);
  }

  async ended(def: JourneyDef): Promise<void> {
    if (def.config.maxConcurrentInstances !== undefined) await this.addRunning(def, -1);
  }

  private async addRunning(def: JourneyDef, delta: number): Promise<void> {
    const key = `running/${def.id}/${def.version}`;
    const count = Math.max(0, ((await this.store.get(key))?.count ?? 0) + delta);
    await this.store.put(key, { count });
  }
}
