/**
 * Where is this profile? The API answers `GET /v1/profiles/:key` from the pipeline's own state stores, wherever
 * they run: the profile's partition is the one the events → profile repartition sends its key to (murmur2 of the
 * key over the store's partition count); the hosts directory (topology's `<applicationId>-hosts`) names the
 * process(es) claiming that partition; each is asked over HTTP on its internal route with the caller's token, the
 * newest claim first, and the first that answers from a restored task it owns wins. Nobody answering — partition
 * unowned, restoring, in a rebalance, its process down — is a 503 with `Retry-After`, never a guess.
 */
import { partitionForKey, type HostDirectory } from '../../topology/index.js';
import type { ProfileJourneyView } from '../../processors/index.js';

/** How a process answers for a profile partition it may own (the pipeline's side). */
export type ProfileAnswer =
  | {
      readonly status: 'ok';
      readonly partition: number;
      readonly answeredBy?: string;
      readonly journeys: readonly ProfileJourneyView[];
    }
  | { readonly status: 'unavailable'; readonly partition?: number; readonly reason: string };

/** The pipeline of this process, asked about one profile (ops/pipeline.ts). */
export interface LocalProfileQuery {
  query(profileKey: string): Promise<ProfileAnswer>;
}

/** Finds the owner of a profile's partition and asks it. */
export interface ProfileLookup {
  lookup(profileKey: string, authorization: string | undefined): Promise<ProfileAnswer>;
}

export interface DirectoryProfileLookupOptions {
  readonly directory: HostDirectory;
  /** The store holding profile state (the journey-instances store). */
  readonly store: string;
  /** Longest wait for one owner's answer (default 3 s). */
  readonly timeoutMs?: number;
}

async function ask(
  server: string,
  profileKey: string,
  authorization: string | undefined,
  timeoutMs: number,
): Promise<ProfileAnswer> {
  try {
    const res = await fetch(`${server}/v1/internal/profiles/${encodeURIComponent(profileKey)}`, {
      headers: authorization ? { authorization } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json()) as Record<string, unknown>;
    if (res.status === 200) return { ...(body as unknown as ProfileAnswer & { status: 'ok' }), status: 'ok' };
    return {
      status: 'unavailable',
      reason: `${server} answered ${res.status} (${String(body['reason'] ?? body['code'])})`,
    };
  } catch (err) {
    return { status: 'unavailable', reason: `${server} did not answer (${(err as Error).name})` };
  }
}

export class DirectoryProfileLookup implements ProfileLookup {
  constructor(private readonly opts: DirectoryProfileLookupOptions) {}

  async lookup(profileKey: string, authorization: string | undefined): Promise<ProfileAnswer> {
    const { directory, store } = this.opts;
    const n = directory.partitions(store);
    if (!n) return { status: 'unavailable', reason: 'no pipeline process has published its partitions yet' };
    const partition = partitionForKey(Buffer.from(profileKey, 'utf8'), n);
    const owners = directory.owners(store, partition);
    const reasons: string[] = [];
    for (const owner of owners) {
      const a = await ask(owner.server, profileKey, authorization, this.opts.timeoutMs ?? 3_000);
      if (a.status === 'ok' && a.partition === partition) return a;
      reasons.push(a.status === 'ok' ? `${owner.server} answered for partition ${a.partition}` : a.reason);
    }
    return {
      status: 'unavailable',
      partition,
      reason: owners.length === 0 ? `partition ${partition} has no owner` : reasons.join('; '),
    };
  }
}
