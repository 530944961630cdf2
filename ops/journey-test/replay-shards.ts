/**
 * `ReplayShards`: a replay's simulation split by profile over `n` shards. One shard runs in the calling thread;
 * two or more run in worker threads (replay-worker.ts), one each, while the calling thread reads the broker and
 * routes: a profile record and every event of that profile go to the same shard (`ProfileShards`: murmur2 of the
 * profile key, as the engine partitions). Each shard sees its inputs in the order they were read, and the times up
 * to which to run after each batch, exactly as the one simulation would; the counts are added up at the end
 * (replay-counter.ts), so the result is the same for any `n`.
 *
 * Batches in flight are bounded (`MAX_IN_FLIGHT` per shard): reading waits for the slowest shard, so memory stays
 * bounded however long the range.
 */
import { Worker } from 'node:worker_threads';
import { ProfileShards } from '../../processors/index.js';
import { mergeCounts, type ReplayCounts } from './replay-counter.js';
import {
  packEvents,
  packedBuffers,
  ReplayShard,
  type ShardMessage,
  type ShardReply,
  type ShardSetup,
} from './replay-shard.js';

const MAX_IN_FLIGHT = 4;

/** One event as read: record timestamp, key, value. */
export interface ReplayEvent {
  readonly at: number;
  readonly key: Buffer | null;
  readonly value: Buffer;
}

interface Shard {
  /** Queues a message; resolves when the shard has applied it (with the counts, for `finish`). */
  send(m: ShardMessage): Promise<ReplayCounts | undefined>;
  close(): Promise<void>;
}

/** The shard in the calling thread: messages applied one after the other. */
class LocalShard implements Shard {
  private chain: Promise<unknown> = Promise.resolve();
  private shard: ReplayShard | undefined;

  send(m: ShardMessage): Promise<ReplayCounts | undefined> {
    const next = this.chain.then(async () => {
      if (m.type !== 'setup') return this.shard?.apply(m);
      this.shard = await ReplayShard.create(m.setup);
      return undefined;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.shard?.close();
  }
}

/**
 * Young generation of a shard's heap: 192 MB, i.e. 64 MB semi-spaces (V8's default is 16 MB). A simulation
 * allocates ~60 KB per event, most of it dead within the event; its instance states live for the simulated wait.
 * With bigger semi-spaces fewer short-lived objects survive a scavenge into the old generation: the simulation alone
 * measured ~8% more events per CPU second (docs/benchmarks.md#replay).
 */
const YOUNG_GENERATION_MB = 192;

/**
 * A worker thread running replay-worker.ts. From TypeScript sources (tsx, tests) the worker first registers tsx's
 * loader, as `jo` itself does; from a build it runs the compiled file.
 */
function startWorker(): Worker {
  const url = new URL(import.meta.url.endsWith('.ts') ? './replay-worker.ts' : './replay-worker.js', import.meta.url);
  const resourceLimits = { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB };
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { resourceLimits });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, resourceLimits });
}

/** A shard in a worker thread: answers arrive in the order messages were sent. */
class ThreadShard implements Shard {
  private readonly waiting: Array<{ resolve: (c: ReplayCounts | undefined) => void; reject: (e: Error) => void }> = [];
  private failure: Error | undefined;
  private readonly worker: Worker;

  constructor() {
    this.worker = startWorker();
    this.worker.on('message', (r: ShardReply) => {
      if (r.type === 'failed') return this.fail(Object.assign(new Error(r.message), r.stack ? { stack: r.stack } : {}));
      this.waiting.shift()?.resolve(r.type === 'counts' ? r.counts : undefined);
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`a replay worker thread exited (code ${code})`)));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }

  send(m: ShardMessage): Promise<ReplayCounts | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(m, m.type === 'events' ? packedBuffers(m.events) : []);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('closed');
    await this.worker.terminate();
  }
}

export class ReplayShards {
  private readonly inFlight: Array<Promise<void>> = [];
  private profileBatch: Array<{ keys: string[]; values: Array<string | null> }> = [];
  private router: ProfileShards | undefined;
  private done = 0;

  /**
   * Starts `n` shards: with more than one, their worker threads start loading now; `setup` follows. `onDone`: events
   * read and simulated so far (for the progress bar).
   */
  constructor(
    n: number,
    private readonly onDone: (events: number) => void = () => undefined,
  ) {
    if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`shards must be a positive integer: ${n}`);
    this.shards = n === 1 ? [new LocalShard()] : Array.from({ length: n }, () => new ThreadShard());
    this.profileBatch = this.shards.map(() => ({ keys: [], values: [] }));
  }

  private readonly shards: readonly Shard[];

  /** Creates every shard's simulation (resolves when all are ready for input). */
  async setup(setup: ShardSetup): Promise<void> {
    this.router = new ProfileShards(this.shards.length, setup.resources.events);
    await Promise.all(this.shards.map((s) => s.send({ type: 'setup', setup })));
  }

  private routes(): ProfileShards {
    if (!this.router) throw new Error('replay shards used before setup');
    return this.router;
  }

  get count(): number {
    return this.shards.length;
  }

  /** A `jo.profiles` record (value: its JSON text; null deletes), handed over with {@link flushProfiles}. */
  profile(key: string, value: string | null): void {
    const b = this.profileBatch[this.routes().ofProfile(key)];
    b?.keys.push(key);
    b?.values.push(value);
  }

  /** Hands over the profiles given since the last call (in order, before any later event). */
  async flushProfiles(): Promise<void> {
    await this.enqueue(this.sendProfiles(), 0);
  }

  private sendProfiles(): Array<Promise<unknown>> {
    const sent = this.shards.flatMap((s, i) => {
      const b = this.profileBatch[i];
      return b && b.keys.length > 0 ? [s.send({ type: 'profiles', keys: b.keys, values: b.values })] : [];
    });
    this.profileBatch = this.shards.map(() => ({ keys: [], values: [] }));
    return sent;
  }

  /**
   * Hands over a batch of events (`read`: records it stands for, for progress) and runs every shard up to `until`
   * (inclusive). Waits while too many batches are in flight.
   */
  async events(list: readonly ReplayEvent[], until: number, read: number): Promise<void> {
    const parts: ReplayEvent[][] = this.shards.map(() => []);
    if (this.shards.length === 1) parts[0] = [...list];
    else
      for (const e of list) {
        const shard = this.routes().ofEvent(e.value, e.at);
        parts[typeof shard === 'number' ? shard : await shard]?.push(e);
      }
    await this.enqueue(
      [
        ...this.sendProfiles(),
        ...this.shards.map((s, i) => s.send({ type: 'events', events: packEvents(parts[i] ?? []), until })),
      ],
      read,
    );
  }

  private async enqueue(sent: Array<Promise<unknown>>, read: number): Promise<void> {
    const batch = Promise.all(sent).then(() => {
      if (read > 0) this.onDone((this.done += read));
    });
    batch.catch(() => undefined); // awaited below or by finish; not an unhandled rejection meanwhile
    this.inFlight.push(batch);
    while (this.inFlight.length > MAX_IN_FLIGHT) await this.inFlight.shift();
  }

  /** Runs every shard up to `until` (inclusive) and returns the summed counts. */
  async finish(until: number): Promise<ReplayCounts> {
    await this.flushProfiles();
    for (let b = this.inFlight.shift(); b; b = this.inFlight.shift()) await b;
    const counts = await Promise.all(this.shards.map((s) => s.send({ type: 'finish', until })));
    return mergeCounts(counts.filter((c): c is ReplayCounts => c !== undefined));
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
  }
}
