/**
 * Frequency caps across journeys (`PUT /v1/caps/:id`): each profile's recent commands, kept in a store keyed by
 * profile key in the profile's partition. The store is change-logged and written in the same transaction as the
 * step that sent the command, so counts are exact and survive restarts and rebalances.
 *
 * Bound: per profile, only sends inside the longest cap window are kept, and at most `maxEntries` of them (the
 * largest `max` of any cap is 10,000; the default keeps 1,000 — enough for every realistic cap).
 */
import { parseDurationMs, type ActionConfig, type CapConfig } from '../../schemas/index.js';
import type { KeyValueStore } from '../../topology/index.js';
import type { FrequencyLedger } from './journey-model.js';

/** One counted command: when, which action, which channel. */
export interface SendRecord {
  readonly at: number;
  readonly action: string;
  readonly channel: string;
}

/** Channel of an action for caps: a Campaign action's own channel, `http` for HTTP actions. */
export function channelOf(action: ActionConfig): string {
  return action.type === 'campaign' ? action.channel : 'http';
}

function applies(cap: CapConfig, action: string, channel: string): boolean {
  if (!cap.actions && !cap.channels) return true;
  return (cap.actions?.includes(action) ?? false) || (cap.channels?.some((c) => c === channel) ?? false);
}

export class StoreFrequencyLedger implements FrequencyLedger {
  constructor(
    private readonly store: KeyValueStore<SendRecord[]>,
    private readonly caps: () => readonly CapConfig[],
    private readonly maxEntries = 1_000,
  ) {}

  /** Synchronous (undefined) when no cap applies to `action`. */
  check(profileKey: string, action: ActionConfig, now: number): string | undefined | Promise<string | undefined> {
    const caps = this.caps();
    if (caps.length === 0) return undefined;
    const channel = channelOf(action);
    const relevant = caps.filter((c) => applies(c, action.id, channel));
    if (relevant.length === 0) return undefined;
    return this.checkSends(profileKey, relevant, now);
  }

  private async checkSends(profileKey: string, relevant: readonly CapConfig[], now: number) {
    const sends = (await this.store.get(profileKey)) ?? [];
    for (const cap of relevant) {
      const since = now - (parseDurationMs(cap.window) ?? 0);
      const n = sends.filter((s) => s.at > since && applies(cap, s.action, s.channel)).length;
      if (n >= cap.max) return cap.id;
    }
    return undefined;
  }

  /** Synchronous when there are no caps (nothing is kept). */
  record(profileKey: string, action: ActionConfig, now: number): void | Promise<void> {
    const caps = this.caps();
    if (caps.length === 0) return;
    return this.keep(profileKey, action, now, caps);
  }

  private async keep(profileKey: string, action: ActionConfig, now: number, caps: readonly CapConfig[]) {
    const longest = Math.max(...caps.map((c) => parseDurationMs(c.window) ?? 0));
    const kept = ((await this.store.get(profileKey)) ?? []).filter((s) => s.at > now - longest);
    kept.push({ at: now, action: action.id, channel: channelOf(action) });
    await this.store.put(profileKey, kept.slice(-this.maxEntries));
  }
}
